/**
 * Structured logs (pino) that never contain a token, a code, a cookie or a query.
 *
 * Requests are logged by web/request-log.ts (method and path only). Credential
 * fields are censored here as a second line of defence.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Field names that hold a credential, in both spellings the code and the protocols use. */
const CREDENTIAL_FIELDS = [
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'idToken',
  'client_secret',
  'clientSecret',
  'client_assertion',
  'privateKey',
  'password',
  'authorization',
  'cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'oidc-bff' },
    // Defence in depth: credentials are censored if a log call ever passes them, at the top level
    // or one or two levels down under any key (`{ tokens: { accessToken } }`). The authorization
    // code only by its exact paths: a bare `code` key is every error's stable code, which must stay.
    // The per-call /api access line skips this pass (accessLogger below).
    redact: {
      paths: [
        ...CREDENTIAL_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
        'query.code',
        'req.query.code',
        'callback.code',
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  // Buffered writes: one system call per 4 KiB of log lines instead of one per request, flushed at
  // least every second so a quiet server's lines still show promptly; server.ts flushes on shutdown.
  // Synchronous, as pino's own default: on this path the thread-pool hop of asynchronous writes cost
  // more CPU than the write itself (docs/benchmark.md).
  const stdout = pino.destination({ dest: 1, sync: true, minLength: 4096 });
  setInterval(() => stdout.flush(), 1000).unref();
  return pino(options, stdout);
}

/**
 * The logger for the one access line of every /api call: a child of `logger`
 * (same destination, level and base fields) without the redaction pass. Its
 * callers log fixed fields only (request id, method, path, status, time),
 * never a header or a body, so there is nothing to redact, and the pass is
 * a measurable cost on the hottest path (docs/benchmark.md).
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

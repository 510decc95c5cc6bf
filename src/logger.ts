/**
 * Structured logs (pino) that never contain a token, a code, a cookie or a query.
 *
 * Requests are logged by web/request-log.ts (method and path only). Credential
 * fields are censored here as a second line of defence.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'oidc-bff' },
    // Defence in depth: credentials under these keys are censored if a log call ever passes them.
    // Exact paths only: wildcard paths cost CPU on every line (docs/benchmark.md).
    redact: {
      paths: [
        'access_token',
        'refresh_token',
        'id_token',
        'accessToken',
        'refreshToken',
        'idToken',
        'client_secret',
        'clientSecret',
        'authorization',
        'cookie',
        'code',
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
 * never a header or a body, so there is nothing to redact, and the pass costs
 * about a microsecond per line on the hottest path (docs/benchmark.md).
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

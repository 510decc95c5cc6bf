/**
 * Structured logs (pino) that never contain a token, a code, a cookie or a query.
 *
 * - Requests are logged by method and *path only*: the query of `/callback`
 *   carries the authorization code and state (RFC 9700 §4.2.4).
 * - Header values that carry credentials are never serialized at all.
 * - A request id comes from a well-formed `X-Request-Id` or is generated, and is
 *   echoed back so a visitor can quote it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';

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

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestLogger(logger: Logger) {
  const options: PinoHttpOptions = {
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req(req: { id: string; method: string; url: string }) {
        return { id: req.id, method: req.method, path: req.url.split('?')[0] };
      },
      res(res: { statusCode: number }) {
        return { status: res.statusCode };
      },
    },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    // Health probes every few seconds would drown the useful lines.
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
  };
  return pinoHttp(options);
}

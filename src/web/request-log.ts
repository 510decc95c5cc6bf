/**
 * One access line per request, the same for pages (pino-http below) and the
 * /api fast path (web/api-gateway.ts):
 * - method and *path only*: the query of `/callback` carries the authorization
 *   code and state (RFC 9700 §4.2.4); header values are never serialized;
 * - a request id from a well-formed `X-Request-Id`, or a new one, echoed back
 *   so a visitor can quote it;
 * - the level follows the status: 5xx error, 4xx warn, else info.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level } from 'pino';
import { pinoHttp, type Options as PinoHttpOptions } from 'pino-http';
import type { Logger } from '../logger.js';

/** The header that carries the request id, both ways. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `X-Request-Id` when it is well-formed (no log injection), else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function levelFor(status: number, failed = false): Level {
  if (failed || status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return 'info';
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

/** The request part of an access line: the same fields for pages and the /api fast path. */
export function requestFields(id: string, method: string | undefined, url: string | undefined) {
  return { id, method, path: pathOf(url) };
}

export function requestLogger(logger: Logger) {
  const options: PinoHttpOptions = {
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const id = requestIdOf(req);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    serializers: {
      req(req: { id: string; method: string; url: string }) {
        return requestFields(req.id, req.method, req.url);
      },
      res(res: { statusCode: number }) {
        return { status: res.statusCode };
      },
    },
    customLogLevel: (_req, res, err) => levelFor(res.statusCode, Boolean(err)),
    // Health probes every few seconds would drown the useful lines.
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
  };
  return pinoHttp(options);
}

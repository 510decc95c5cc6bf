/**
 * A loopback stand-in for the downstream API, for faults the real demo API
 * cannot show: it records every request (method, path, headers, body) and
 * answers according to `mode`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** True once the connection closed before we answered (client abort). */
  aborted: boolean;
}

export type StubMode =
  | { kind: 'json'; status?: number; body?: unknown; headers?: Record<string, string | string[]> }
  | { kind: 'hang' }
  | { kind: 'invalid_token_then_ok'; failures: number }
  | { kind: 'redirect'; location: string }
  /** A large body in many chunks: `bytes` of a repeating pattern, written as fast as the socket takes them. */
  | { kind: 'big'; bytes: number }
  /** A long answer that arrives slowly: `chunks` small chunks, one every `everyMs`. */
  | { kind: 'drip'; chunks: number; everyMs: number }
  /** Headers and the start of the body, then the connection is cut (`cut`) or goes silent (`stall`). */
  | { kind: 'partial'; then: 'cut' | 'stall' };

export interface RecordingApi {
  readonly url: string;
  readonly requests: RecordedRequest[];
  mode: StubMode;
  close(): Promise<void>;
}

/** The byte every 64 KiB chunk of a 'big' answer is filled with, by its offset (so reordering or loss shows). */
export function bigPattern(offset: number): number {
  return 97 + ((offset / (64 * 1024)) % 26);
}

export async function startRecordingApi(pathPrefix = '/'): Promise<RecordingApi> {
  const requests: RecordedRequest[] = [];
  let invalidTokenAnswers = 0;
  const state: { mode: StubMode } = { mode: { kind: 'json' } };
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: '',
      aborted: false,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString();
      const mode = state.mode;
      switch (mode.kind) {
        case 'hang':
          return;
        case 'redirect':
          res.writeHead(302, { location: mode.location }).end();
          return;
        case 'big': {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(mode.bytes) });
          let sent = 0;
          const pump = () => {
            while (sent < mode.bytes) {
              const size = Math.min(64 * 1024, mode.bytes - sent);
              const chunk = Buffer.alloc(size, bigPattern(sent));
              sent += size;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          pump();
          return;
        }
        case 'drip': {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          let sent = 0;
          const timer = setInterval(() => {
            sent += 1;
            res.write(`data: ${sent}\n\n`);
            if (sent === mode.chunks) {
              clearInterval(timer);
              res.end();
            }
          }, mode.everyMs);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case 'partial':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"partial":');
          if (mode.then === 'cut') setTimeout(() => res.socket?.destroy(), 50);
          return;
        case 'invalid_token_then_ok':
          if (invalidTokenAnswers < mode.failures) {
            invalidTokenAnswers += 1;
            res.writeHead(401, {
              'content-type': 'application/json',
              'www-authenticate': 'Bearer realm="stub", error="invalid_token", error_description="revoked"',
            });
            res.end(JSON.stringify({ error: 'invalid_token' }));
            return;
          }
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: true, authorization: req.headers.authorization?.slice(0, 12) }));
          return;
        default:
          res.writeHead(mode.status ?? 200, { 'content-type': 'application/json', ...(mode.headers ?? {}) });
          res.end(JSON.stringify(mode.body ?? { ok: true, path: req.url }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${pathPrefix}`,
    requests,
    get mode() {
      return state.mode;
    },
    set mode(mode: StubMode) {
      state.mode = mode;
      invalidTokenAnswers = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

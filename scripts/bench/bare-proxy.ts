/**
 * The floor of every proxy figure (bench only): forward a request to one URL
 * with a bearer token over a keep-alive undici pool (the HTTP client the app
 * uses) and stream the answer back. No session, no logging, no headers, no
 * checks. Process P (floor-process.ts) and the first row of `--layers`
 * (layers-process.ts) run it.
 */
import type { ServerResponse } from 'node:http';
import { Agent, stream } from 'undici';

/** The dispatcher both floors use: keep-alive connections, enough for the benchmark's 50. */
export function keepAliveAgent(): Agent {
  return new Agent({ connections: 256, pipelining: 1 });
}

/**
 * `GET target` with `token`, streamed into `res` (502 when the upstream fails). undici's `stream`
 * is its cheapest way to proxy: the answer's body is written straight into the Writable it is given.
 */
export function forwardWithToken(target: URL, agent: Agent, token: string, res: ServerResponse): void {
  stream(
    target,
    { method: 'GET', dispatcher: agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
    ({ statusCode, headers }) => {
      const head: Record<string, string> = { 'content-type': String(headers['content-type'] ?? 'application/json') };
      if (headers['content-length']) head['content-length'] = String(headers['content-length']);
      res.writeHead(statusCode, head);
      return res;
    },
  ).catch(() => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
}

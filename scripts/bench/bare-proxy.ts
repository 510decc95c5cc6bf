/**
 * The floor of every proxy figure (bench only): forward a request to one URL
 * with a bearer token over a keep-alive node:http agent and stream the answer
 * back. No session, no logging, no headers, no checks. Process P
 * (floor-process.ts) and the first row of `--layers` (layers-process.ts) run it.
 */
import http, { type ServerResponse } from 'node:http';

/** The agent both floors use: keep-alive, enough sockets for the benchmark's connections. */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
}

/** `GET target` with `token`, piped into `res` (502 when the upstream fails). */
export function forwardWithToken(target: URL, agent: http.Agent, token: string, res: ServerResponse): void {
  const upstream = http.request(
    target,
    { method: 'GET', agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
    (response) => {
      const headers: Record<string, string> = {
        'content-type': response.headers['content-type'] ?? 'application/json',
      };
      if (response.headers['content-length']) headers['content-length'] = response.headers['content-length'];
      res.writeHead(response.statusCode ?? 502, headers);
      response.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  upstream.end();
}

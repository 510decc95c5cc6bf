/**
 * One HTTP/1.1 request written byte for byte on a fresh socket, as a hostile
 * client would: fetch() normalizes paths (`/a/../b`), strips tabs and refuses
 * headers such as `Connection`, so it cannot send the tricks under test.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function rawRequest(
  origin: string,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(origin);
  const body = options.body ?? '';
  const lines = [`${options.method ?? 'GET'} ${target} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = text.slice(0, headEnd === -1 ? text.length : headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
      }
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers,
        body: headEnd === -1 ? '' : text.slice(headEnd + 4),
      });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

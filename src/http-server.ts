/** Small helpers around node:http servers: listen with errors surfaced, close with a deadline. */
import http, { type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function createListeningServer(
  port: number,
  host: string,
  handler?: RequestListener,
): Promise<{ server: Server; port: number }> {
  const server = http.createServer(handler);
  // Slow-loris bounds; Node's defaults are minutes.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  return { server, port: await listen(server, port, host) };
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
export function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * The metrics listener: `GET /metrics` in the Prometheus text format, on its own
 * port (METRICS_PORT) and by default on loopback only (METRICS_HOST). It is not
 * part of the app's public port, so nothing behind the reverse proxy reaches it.
 */
import type { Server } from 'node:http';
import { createListeningServer } from '../http-server.js';
import { collectProcessMetrics, registry } from './metrics.js';

export async function startMetricsServer(port: number, host: string): Promise<{ server: Server; port: number }> {
  collectProcessMetrics();
  return createListeningServer(port, host, (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: try GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n'),
    );
  });
}

/**
 * Benchmark process P (bench only): the floor for any Node proxy on this
 * machine. A bare node:http server that forwards every request (undici) to the demo
 * API's `GET /me` with a fixed bearer token, over a keep-alive agent, streaming
 * the answer back: no session, no logging, no headers, no checks. The app's
 * proxied figures are compared with it to separate what proxying costs here
 * (two HTTP exchanges per call) from what the app's middleware adds.
 *
 * Env: BENCH_FLOOR_TARGET (the API URL). IPC: `setToken`, `cpu`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardWithToken, keepAliveAgent } from './bare-proxy.js';
import { serveIpc } from './ipc.js';

// tsx turns on source-mapped stack traces; a bare `node` proxy has none (as B on the build).
process.setSourceMapsEnabled(false);

const target = new URL(process.env.BENCH_FLOOR_TARGET ?? '');
const agent = keepAliveAgent();
let token = '';

const server = http.createServer((req, res) => {
  req.resume();
  forwardWithToken(target, agent, token, res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));

serveIpc(
  {
    setToken: (arg) => {
      token = String(arg);
      return true;
    },
    cpu: () => process.cpuUsage(),
  },
  { port: (server.address() as AddressInfo).port },
);

/**
 * Benchmark process A (bench only): the embedded identity provider and the demo
 * API on the ports given in the environment (DEMO_PROVIDER_PORT, DEMO_API_PORT,
 * PORT = the app's public port for the registered redirect URI), exactly as
 * `npm start` attaches them, but in their own process so that the app's CPU
 * figures are the app's alone. Started by scripts/bench/main.ts over IPC.
 *
 * Also a bare node:http server on a free port (calibration, see throughput.ts).
 *
 * With BENCH_SECOND_API_PORT, also a second demo API with its own audience (second-api.ts).
 *
 * IPC: `stats` (the provider's grant counters), `refreshGrants` (by audience, with the stats), `resetStats`, `cpu`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/config.js';
import { attachDemoServices } from '../../src/demo/start-demo.js';
import { createListeningServer } from '../../src/http-server.js';
import { serveIpc } from './ipc.js';
import { countRefreshGrantsByAudience, secondApiHost } from './second-api.js';

// tsx turns on source-mapped stack traces; `node dist/…` in production does not.
if (process.env.BENCH_SOURCE_MAPS === 'off') process.setSourceMapsEnabled(false);

const config = loadConfig(process.env);
if (!config.demo) throw new Error('bench-demo needs demo mode (no OIDC_ISSUER)');
const providerServer = await createListeningServer(config.demo.providerPort, '127.0.0.1');
const apiServer = await createListeningServer(config.demo.apiPort, '127.0.0.1');
const second = secondApiHost(config, process.env);
const demo = await attachDemoServices(
  config,
  { providerServer: providerServer.server, apiServer: apiServer.server },
  second?.providerOverrides,
);
const secondApiPort = await second?.listen(demo.issuer);
const refreshGrantsByAudience = countRefreshGrantsByAudience(demo.provider);

// Calibration: a bare node:http server answering a small JSON body, so the report
// can say what one HTTP exchange costs on this machine at this moment.
const calibration = http.createServer((_req, res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end('{"sub":"demo-user-alice","kind":"user"}');
});
await new Promise<void>((resolve) => calibration.listen(0, '127.0.0.1', () => resolve()));

serveIpc(
  {
    stats: () => structuredClone(demo.stats),
    // In one answer with the totals, so a grant that ends meanwhile cannot make them disagree.
    refreshGrants: () => ({
      byAudience: { ...refreshGrantsByAudience },
      stats: structuredClone(demo.stats),
    }),
    resetStats: () => {
      demo.resetStats();
      for (const audience of Object.keys(refreshGrantsByAudience)) delete refreshGrantsByAudience[audience];
    },
    cpu: () => process.cpuUsage(),
  },
  {
    providerPort: providerServer.port,
    apiPort: apiServer.port,
    calibrationPort: (calibration.address() as AddressInfo).port,
    accessTokenTtl: config.demo.accessTokenTtlSeconds,
    ...(secondApiPort && { secondApiPort }),
  },
);

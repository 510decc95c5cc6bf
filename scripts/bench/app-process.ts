/**
 * Benchmark process B (bench only, never the real entry point): builds the
 * configuration, services and app exactly like src/server.ts (tracing first when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, the metrics listener when METRICS_PORT is),
 * listens on PORT, and answers the benchmark's questions over IPC. Nothing here
 * is reachable over HTTP: the token look-up below exists only in this bench process.
 *
 * BENCH_METRICS_RECORDING=off turns prom-client's counters and histograms into
 * no-ops, so the benchmark can say what recording them costs (observability.ts).
 *
 * IPC: `cpu` (process.cpuUsage), `mem` (process.memoryUsage after global.gc;
 * run with --expose-gc), `heapSnapshot` (V8 heap snapshot after the same
 * collections, written to a file), `accessToken` / `tokenInfo` / `records` for a session
 * id, `apiTokenInfo` for a session id and a named API, `refreshCount` (TokenService), `profileStart` / `profileStop` (V8 CPU
 * profile of the measured window, written to a file).
 */
import { writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { Session } from 'node:inspector/promises';
import { serveIpc } from './ipc.js';
import { storedSession } from './session-store.js';

// tsx turns on source-mapped stack traces; `node dist/…` in production does not, so B on the build maps none.
if (process.env.BENCH_SOURCE_MAPS === 'off' || process.env.BENCH_APP_CODE === 'dist')
  process.setSourceMapsEnabled(false);

// The build (what `npm run start:prod` runs) or the sources (stack.ts decides); the same modules either way.
const code = process.env.BENCH_APP_CODE === 'dist' ? '../../dist' : '../../src';
const { loadConfig } = (await import(`${code}/config/config.js`)) as typeof import('../../src/config/config.js');
const config = loadConfig(process.env);
// As src/server.ts: tracing starts before the app's modules load (its instrumentations patch them as they load).
if (config.tracing) {
  const tracing = (await import(
    `${code}/observability/tracing.js`
  )) as typeof import('../../src/observability/tracing.js');
  await tracing.startTracing(config.tracing);
}
if (process.env.BENCH_METRICS_RECORDING === 'off') {
  const { Counter, Histogram } = await import('prom-client');
  Counter.prototype.inc = () => undefined;
  Histogram.prototype.observe = () => undefined;
}
const { createApp } = (await import(`${code}/web/app.js`)) as typeof import('../../src/web/app.js');
const { createListeningServer } = (await import(`${code}/http-server.js`)) as typeof import('../../src/http-server.js');
const { createLogger } = (await import(`${code}/logger.js`)) as typeof import('../../src/logger.js');
const { createServices } = (await import(`${code}/services.js`)) as typeof import('../../src/services.js');
const { startMetricsServer } = (await import(
  `${code}/observability/metrics-server.js`
)) as typeof import('../../src/observability/metrics-server.js');

const logger = createLogger(config.logLevel);
const services = await createServices(config, logger);
await services.provider.whenReady(20_000);
const app = createApp(services);
const { port } = await createListeningServer(config.port, config.listenHost, app);
const metricsPort = config.metrics ? (await startMetricsServer(config.metrics.port, config.metrics.host)).port : null;

const gc = (globalThis as { gc?: () => void }).gc;

async function heapAfterGc(): Promise<NodeJS.MemoryUsage> {
  if (!gc) throw new Error('global.gc is missing: start this process with --expose-gc');
  // Several rounds, with a pause for weak callbacks and finalizers in between.
  for (let i = 0; i < 4; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage();
}

function sessionIdArg(arg: unknown): string {
  if (typeof arg !== 'string' || arg === '') throw new Error('a session id is required');
  return arg;
}

let profiler: Session | undefined;

serveIpc(
  {
    cpu: () => process.cpuUsage(),
    mem: () => heapAfterGc(),
    heapSnapshot: async (arg) => {
      if (typeof arg !== 'string') throw new Error('heapSnapshot needs a file path');
      await heapAfterGc();
      return writeHeapSnapshot(arg);
    },
    refreshCount: () => services.tokens.refreshCount,
    accessToken: async (arg) => (await services.tokens.peek(sessionIdArg(arg)))?.accessToken ?? null,
    tokenInfo: async (arg) => {
      const tokens = await services.tokens.peek(sessionIdArg(arg));
      return tokens
        ? { expiresAt: tokens.expiresAt, lifetimeSeconds: tokens.lifetimeSeconds, version: tokens.version }
        : null;
    },
    apiTokenInfo: async (arg) => {
      const { sessionId, api } = (arg ?? {}) as { sessionId?: unknown; api?: unknown };
      const token = (await services.tokens.peek(sessionIdArg(sessionId)))?.apiTokens?.[String(api)];
      return token ? { expiresAt: token.expiresAt, lifetimeSeconds: token.lifetimeSeconds } : null;
    },
    records: async (arg) => {
      const sid = sessionIdArg(arg);
      const [sessionData, tokens, events] = await Promise.all([
        storedSession(services.sessionStore, sid),
        services.tokens.peek(sid),
        services.flowLog.list(sid),
      ]);
      return {
        sessionJsonLength: sessionData ? JSON.stringify(sessionData).length : null,
        tokenJsonLength: tokens ? JSON.stringify(tokens).length : null,
        flowLogJsonLength: JSON.stringify(events).length,
        flowLogEvents: events.length,
      };
    },
    profileStart: async (arg) => {
      const interval = typeof arg === 'number' ? arg : 250;
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval });
      await profiler.post('Profiler.start');
      return true;
    },
    profileStop: async (arg) => {
      if (!profiler || typeof arg !== 'string') throw new Error('profileStop needs a running profile and a file path');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(arg, JSON.stringify(profile));
      return arg;
    },
  },
  { port, redis: config.session.redisUrl !== undefined, metricsPort },
);

/**
 * `npm run bench`: throughput and CPU of the `/api` proxy against calling the
 * API directly, a refresh storm, memory per session, the same with Redis,
 * what metrics and tracing cost per proxied call (observability.ts), and one
 * login fronting two user APIs (several-apis.ts).
 *
 * Separate processes, so that CPU figures mean something:
 *   A  demo-process.ts    the embedded provider + demo API (+ a bare server for calibration)
 *   B  app-process.ts     the app, built like src/server.ts (one or more; Redis ones too)
 *   C  this script        the load generator (autocannon) and the "browsers" (login.ts)
 *   P  floor-process.ts   a bare undici proxy: the floor for any Node proxy here
 *   L  layers-process.ts  the pipeline one layer at a time (--layers only)
 * Ports are picked free on loopback and passed through the environment
 * (PORT, DEMO_PROVIDER_PORT, DEMO_API_PORT) exactly as `npm start` reads them.
 * Nothing here imports test/: the benchmark stands on src/ alone.
 *
 * Figures are ratios measured in one run: the machine is shared and noisy.
 * Everything targets loopback, every loop is bounded in time and count, all
 * children are killed on exit, error and SIGINT. The exit code is non-zero only
 * when something broke; a missed target is printed as MISSED.
 *
 * Options: --profile  profile process B during the proxied run (V8 sampling
 *                     profiler) and print where its CPU goes; writes the
 *                     profile section of docs/benchmark.md (profile.ts).
 *          --profile --redis  the same with the app on Redis; writes the
 *                     profile-redis section.
 *          --layers   what each layer of the app adds to a proxied call: the
 *                     pipeline rebuilt one layer at a time from the app's own
 *                     pieces (layers.ts); writes the layers section.
 *          --observability  only part 5, the cost of metrics and traces; writes
 *                     the observability section.
 *          --several-apis  only part 6, two user APIs behind one login (CPU per
 *                     call on each, a refresh storm over both); writes the
 *                     several-apis section.
 *          --memory   only part 3, heap per session, printed (nothing written
 *                     to the docs); BENCH_HEAP_SNAPSHOTS=<folder> also writes
 *                     heap snapshots of B before and after (memory-main.ts).
 *          --dpop     the app's added CPU per DPoP call at the same fixed rate as
 *                     bearer, and where it goes (dpop.ts); writes the dpop section.
 *          --floor    only part 1's floor, in-memory and Redis rows, as same-round
 *                     ratios to the floor; nothing written (floor-ratios.ts).
 *          --quick    short durations and 100 logins, nothing written to the
 *                     docs (for trying the script; the memory figure is noise).
 * Environment: BENCH_ROUNDS (rounds of the alternating parts, default 4),
 *              BENCH_SECONDS (measured seconds per row of --floor, default 10),
 *              BENCH_HEAP_SNAPSHOTS (a folder: heap snapshots of part 3),
 *              BENCH_DPOP_RATE (req/s of --dpop's same-rate rounds, default 200),
 *              BENCH_LOG_LEVEL (the app's LOG_LEVEL, default info as `npm start`),
 *              BENCH_REDIS=off (skip the Redis part), BENCH_SOURCE_MAPS=off (turn
 *              off the source-mapped stack traces tsx enables in A and B).
 */
import path from 'node:path';
import { rmSync } from 'node:fs';
import { machineFacts, writeDocSection, type Facts } from './docs-page.js';
import { floorMain } from './floor-ratios.js';
import { elapsedSeconds, log } from './format.js';
import { layersMain } from './layers.js';
import { stopLoad } from './load.js';
import { memoryPerSession, redisMemoryPerSession } from './memory.js';
import { memoryMain } from './memory-main.js';
import { observabilityMain } from './observability.js';
import {
  DOC,
  DPOP,
  FLOOR,
  LAYERS,
  MEMORY,
  OBSERVABILITY,
  PROFILE,
  QUICK,
  REDIS_LOGINS,
  ROOT,
  SEVERAL_APIS,
  STORM_TTL_S,
  WATCHDOG_MS,
} from './options.js';
import { profileMain } from './profile.js';
import { planRedis, startRedis, type BenchRedis } from './redis.js';
import { storm, type StormResult } from './refresh-storm.js';
import { renderReport, type Report } from './report.js';
import { severalApisMain } from './several-apis.js';
import { children, startRun, tmp, type AppInstance } from './stack.js';
import { measureThroughput } from './throughput.js';
import { dpopMain } from './dpop.js';
import { measureDPoPCosts } from './dpop-costs.js';

let redisServer: BenchRedis | undefined;

process.on('exit', () => {
  for (const child of children) child.kill();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the benchmark, killing its processes`);
    stopLoad();
    for (const child of children) child.kill();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  console.error(`benchmark still running after ${WATCHDOG_MS / 1000} s: aborting`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

/** Parts 1–4 (part 5 is observability.ts): run 1 (long-lived tokens) for throughput and memory, run 2 (short ones) for the storm. */
async function benchMain(facts: Facts): Promise<void> {
  const redis = planRedis();
  let redisNote = redis.enabled ? undefined : redis.reason;
  if (redis.enabled) {
    redisServer = await startRedis();
    log(`redis-server on 127.0.0.1:${redisServer.port}`);
  } else {
    log(`Redis part: ${redis.reason}`);
  }
  const redisUrl = redisServer?.url;

  log('run 1: starting A (provider + API, 3600 s tokens) and B');
  const run1 = await startRun('run1', 3600, [
    { name: 'app' },
    { name: 'app-dpop', env: { OIDC_DPOP: 'on' } },
    ...(redisUrl
      ? [
          { name: 'app-redis', redisUrl },
          // What the client-side cache buys: the same instance reading Redis on every call.
          { name: 'app-redis-nocache', redisUrl, env: { REDIS_CLIENT_CACHE: 'off' } },
        ]
      : []),
  ]);
  const app = run1.instances[0] as AppInstance;
  const { session, ...throughput } = await measureThroughput(run1, redisServer);
  const records = await app.child.call<Report['records']>('records', session.sid);
  const memory = await memoryPerSession(run1, app);
  const redisApp = run1.instances.find((instance) => instance.name === 'app-redis');
  const redisMemory =
    redisServer && redisApp ? await redisMemoryPerSession(run1, redisApp, redisServer, REDIS_LOGINS) : undefined;
  await run1.stop();
  const dpopCosts = await measureDPoPCosts();

  log(`run 2: starting A (${STORM_TTL_S} s tokens) and B`);
  const run2 = await startRun('run2', STORM_TTL_S, [
    { name: 'app' },
    ...(redisUrl
      ? [
          { name: 'app-redis-1', redisUrl },
          { name: 'app-redis-2', redisUrl },
        ]
      : []),
  ]);
  const stormResult = await storm('storm (one instance)', run2, [run2.instances[0] as AppInstance]);
  let redisStorm: StormResult | undefined;
  if (redisUrl) {
    try {
      redisStorm = await storm('storm (two instances, Redis)', run2, run2.instances.slice(1));
    } catch (err) {
      redisNote = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
      throw err;
    }
  }
  await run2.stop();
  if (redisServer) {
    await redisServer.dispose();
    redisServer = undefined;
  }

  const report: Report = {
    facts,
    ...throughput,
    records,
    memory,
    ...(redisMemory ? { redisMemory } : {}),
    dpopCosts,
    storm: stormResult,
    durationS: elapsedSeconds(),
    ...(redisStorm ? { redisStorm } : {}),
    ...(redisNote ? { redisNote } : {}),
  };
  const text = renderReport(report);
  console.log(`\n${text}\n`);
  if (QUICK) log('--quick: figures not written to the docs');
  else {
    writeDocSection('figures', text);
    log(`figures written to ${path.relative(ROOT, DOC)}`);
  }
}

const facts = machineFacts();
console.log(
  `oidc-bff benchmark — ${facts.date}, node ${facts.node}, ${facts.cpu}, ${facts.cores} cores, load ${facts.loadAverage}${QUICK ? ' (--quick)' : ''}`,
);
/** The options that run one part alone (the first one given wins). */
const parts: ReadonlyArray<readonly [boolean, (facts: Facts) => Promise<void>]> = [
  [LAYERS, layersMain],
  [FLOOR, floorMain],
  [MEMORY, memoryMain],
  [DPOP, dpopMain],
  [OBSERVABILITY, observabilityMain],
  [SEVERAL_APIS, severalApisMain],
];
try {
  // --profile keeps its profile in the temporary folder, for Chrome DevTools.
  if (PROFILE) await profileMain(facts);
  else {
    const part = parts.find(([chosen]) => chosen)?.[1];
    if (part) await part(facts);
    else {
      await benchMain(facts);
      await observabilityMain(facts);
      await severalApisMain(facts);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0);
} catch (err) {
  console.error(`\nbenchmark broken: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  for (const child of children) if (!child.alive) console.error(child.diagnostics());
  console.error(`(logs kept in ${tmp})`);
  await redisServer?.dispose().catch(() => undefined);
  process.exit(1);
}

/**
 * `npm run bench`: the benchmark of issue 3 ("Benchmark") and issue 6 (Redis).
 *
 * Separate processes, so that CPU figures mean something:
 *   A  scripts/bench-demo.ts   the embedded provider + demo API (+ a bare server for calibration)
 *   B  scripts/bench-app.ts    the app, built like src/server.ts (one or more; Redis ones too)
 *   C  this script             the load generator (autocannon) and the "browsers"
 *   P  scripts/bench-floor.ts  a bare node:http proxy: the floor for any Node proxy here
 *   L  scripts/bench-layers.ts the pipeline one layer at a time (--layers only)
 * Ports are picked free on loopback and passed through the environment
 * (PORT, DEMO_PROVIDER_PORT, DEMO_API_PORT) exactly as `npm start` reads them.
 *
 * Figures are ratios measured in one run: the machine is shared and noisy.
 * Everything targets loopback, every loop is bounded in time and count, all
 * children are killed on exit, error and SIGINT. The exit code is non-zero only
 * when something broke; a missed target is printed as MISSED.
 *
 * Options: --profile  profile process B during the proxied run (V8 sampling
 *                     profiler) and print where its CPU goes; writes the
 *                     profile section of docs/benchmark.md.
 *          --layers   what each layer of the app adds to a proxied call: the
 *                     pipeline rebuilt one layer at a time from the app's own
 *                     pieces (scripts/bench-layers.ts); writes the layers section.
 *          --quick    short durations and 100 logins, nothing written to the
 *                     docs (for trying the script; the memory figure is noise).
 * Environment: BENCH_LOG_LEVEL (the app's LOG_LEVEL, default info as `npm start`),
 *              BENCH_REDIS=off (skip the Redis part), BENCH_SOURCE_MAPS=off (turn
 *              off the source-mapped stack traces tsx enables in A and B).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Instance, type RawResult, type Result } from 'autocannon';
import { DEMO_ACCOUNTS, type DemoAccount } from '../src/demo/demo-accounts.js';
import { refreshMarginMs } from '../src/tokens/refresh-margin.js';
import { Browser } from '../test/helpers/browser.js';
import { loginAtProvider } from '../test/helpers/provider-login.js';
import { startRedisServer, type RedisServer } from '../test/helpers/redis-server.js';
import { BenchChild } from './bench-ipc.js';
import { summarizeProfile, type ProfileSummary } from './bench-profile.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs', 'benchmark.md');
const args = new Set(process.argv.slice(2));
const PROFILE = args.has('--profile');
const LAYERS = args.has('--layers');
const QUICK = args.has('--quick');

const CONNECTIONS = 50;
const WARMUP_S = QUICK ? 1 : 2;
const MEASURE_S = QUICK ? 3 : 10;
/** The measured time is split in rounds that alternate the targets, so a load spike from a neighbour hits all of them. */
const ROUNDS = 4;
/** Calibration rows (bare server, bare proxy) get half the time of the main rows. */
const CALIBRATION_S = MEASURE_S / 2;
const STORM_S = QUICK ? 8 : 20;
const STORM_TTL_S = 5;
const LOGINS = QUICK ? 100 : 1_000;
const WARMUP_LOGINS = 20;
const LOGIN_PARALLEL = 4;
const LOGIN_BUDGET_MS = QUICK ? 20_000 : 50_000;
/** Hard stop for the whole benchmark. */
const WATCHDOG_MS = 300_000;

const REFERENCE = {
  apache: { name: 'Apache + mod_auth_openidc', share: 0.63, cpuUs: 270, kib: 23 },
  eoc: { name: 'express-openid-connect + http-proxy-middleware', share: 0.33, cpuUs: 630, kib: 78 },
};
const TARGET = { share: 0.7, defectShare: 0.5, cpuUs: 200, kib: 8 };

// ---------------------------------------------------------------- process hygiene

const children = new Set<BenchChild>();
let currentLoad: Instance | undefined;
let redisServer: RedisServer | undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'oidc-bff-bench-'));

process.on('exit', () => {
  for (const child of children) child.kill();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the benchmark, killing its processes`);
    currentLoad?.stop();
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!port) throw new Error('no free port');
  return port;
}

function log(message: string): void {
  const seconds = ((Date.now() - benchStarted) / 1000).toFixed(1).padStart(5);
  console.log(`[${seconds}s] ${message}`);
}

const benchStarted = Date.now();

// ---------------------------------------------------------------- the stack (A + B…)

interface Instance_ {
  readonly name: string;
  readonly child: BenchChild;
  /** Where this instance listens (the bench talks to it here). */
  readonly origin: string;
  /** Same, as 127.0.0.1 for autocannon (no name resolution). */
  readonly loadOrigin: string;
  /** What the process said when it was ready. */
  readonly info: Record<string, unknown>;
}

interface Run {
  readonly demo: BenchChild;
  readonly apiOrigin: string;
  /** A bare node:http server in process A (calibration). */
  readonly calibrationOrigin: string;
  /** BASE_URL shared by every instance (the registered redirect URI lives here). */
  readonly publicOrigin: string;
  readonly instances: readonly Instance_[];
  stop(): Promise<void>;
}

const SECRET = randomBytes(32).toString('base64url');

function baseEnv(): Record<string, string> {
  // Only what the processes need: the benchmark must not pick up an OIDC_ISSUER,
  // API_BASE_URL or REDIS_URL from the shell (nor a .env: the bench never loads one).
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'BENCH_SOURCE_MAPS'];
  const env: Record<string, string> = {};
  for (const key of keep) if (process.env[key]) env[key] = process.env[key] as string;
  return env;
}

async function startRun(
  label: string,
  ttlSeconds: number,
  instances: ReadonlyArray<{ name: string; redisUrl?: string; script?: string }>,
): Promise<Run> {
  const [providerPort, apiPort, ...appPorts] = await Promise.all([
    freePort(),
    freePort(),
    ...instances.map(() => freePort()),
  ]);
  const publicPort = appPorts[0] as number;
  const common: Record<string, string> = {
    ...baseEnv(),
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    PORT: String(publicPort),
    DEMO_PROVIDER_PORT: String(providerPort),
    DEMO_API_PORT: String(apiPort),
    DEMO_ACCESS_TOKEN_TTL: String(ttlSeconds),
    SESSION_SECRET: SECRET,
    RATE_LIMIT_API_PER_MINUTE: '100000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  };
  const demo = new BenchChild({
    name: `${label}/A demo provider+API`,
    script: path.join(ROOT, 'scripts', 'bench-demo.ts'),
    cwd: ROOT,
    env: common,
    logFile: path.join(tmp, `${label}-demo.log`),
  });
  children.add(demo);
  const demoInfo = await demo.ready;
  const started = instances.map((instance, i) => {
    const port = appPorts[i] as number;
    const child = new BenchChild({
      name: `${label}/B ${instance.name}`,
      script: path.join(ROOT, 'scripts', instance.script ?? 'bench-app.ts'),
      cwd: ROOT,
      env: {
        ...common,
        PORT: String(port),
        BASE_URL: `http://localhost:${publicPort}`,
        ...(instance.redisUrl ? { REDIS_URL: instance.redisUrl } : {}),
      },
      logFile: path.join(tmp, `${label}-${instance.name}.log`),
    });
    children.add(child);
    return { name: instance.name, child, port };
  });
  const infos = await Promise.all(started.map((instance) => instance.child.ready));
  const ready: Instance_[] = started.map((instance, i) => ({
    name: instance.name,
    child: instance.child,
    origin: `http://localhost:${instance.port}`,
    loadOrigin: `http://127.0.0.1:${instance.port}`,
    info: infos[i] ?? {},
  }));
  return {
    demo,
    apiOrigin: `http://127.0.0.1:${apiPort}`,
    calibrationOrigin: `http://127.0.0.1:${String(demoInfo.calibrationPort)}`,
    publicOrigin: `http://localhost:${publicPort}`,
    instances: ready,
    async stop() {
      await Promise.all([...started.map((instance) => instance.child.stop()), demo.stop()]);
      for (const instance of started) children.delete(instance.child);
      children.delete(demo);
    },
  };
}

// ---------------------------------------------------------------- logins

interface LoggedIn {
  /** `sid=<signed value>` as the browser sends it. */
  readonly cookie: string;
  readonly sid: string;
}

/**
 * A real login through the provider's pages (Browser + loginAtProvider). The
 * provider sends the browser to BASE_URL/callback; a load balancer would route
 * that to any instance, so the callback is delivered to `instance`.
 */
async function login(run: Run, instance: Instance_, account: DemoAccount): Promise<LoggedIn> {
  const browser = new Browser();
  const callbackOf = (url: URL) => url.origin === run.publicOrigin && url.pathname === '/callback';
  const result = await loginAtProvider(browser, `${instance.origin}/login`, {
    login: account.login,
    password: account.password,
    stopAt: callbackOf,
  });
  if (!result.stoppedAt) throw new Error(`login did not reach the callback (visited ${result.urls.join(' -> ')})`);
  const callback = new URL(result.stoppedAt);
  const response = await browser.get(new URL(callback.pathname + callback.search, instance.origin));
  const body = await browser.text(response);
  if (response.status < 300 || response.status >= 400) {
    throw new Error(`callback answered ${response.status}: ${body.slice(0, 300)}`);
  }
  const raw = browser.cookie(instance.origin, 'sid');
  const sid = raw ? /^s:([^.]+)\./.exec(decodeURIComponent(raw))?.[1] : undefined;
  if (!raw || !sid) throw new Error('no session cookie after the callback');
  return { cookie: `sid=${raw}`, sid };
}

function apiHeaders(session: LoggedIn): Record<string, string> {
  return { cookie: session.cookie, 'x-csrf': '1', accept: 'application/json' };
}

async function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

// ---------------------------------------------------------------- load

async function load(url: string | string[], headers: Record<string, string>, durationS: number): Promise<Result> {
  const instance = autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
  });
  currentLoad = instance;
  try {
    return await instance;
  } finally {
    currentLoad = undefined;
  }
}

async function loadRaw(url: string, headers: Record<string, string>, durationS: number): Promise<RawResult> {
  const instance = autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: durationS,
    timeout: 10,
    skipAggregateResult: true,
  });
  currentLoad = instance;
  try {
    return (await instance) as unknown as RawResult;
  } finally {
    currentLoad = undefined;
  }
}

type CpuUsage = { user: number; system: number };

async function cpuOf(child: BenchChild): Promise<number> {
  const usage = await child.call<CpuUsage>('cpu');
  return usage.user + usage.system;
}

interface Throughput {
  readonly label: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU µs per request of the app process(es) and of process A. */
  readonly appCpuUs: number;
  readonly demoCpuUs: number;
}

interface MeasureHooks {
  /** Runs after the warm-up, right before the measured window (e.g. start a profile). */
  readonly before?: () => Promise<void>;
  /** Runs right after the measured window. */
  readonly after?: () => Promise<void>;
}

async function measure(
  label: string,
  url: string,
  headers: Record<string, string>,
  app: BenchChild,
  demo: BenchChild,
  hooks: MeasureHooks = {},
  seconds = MEASURE_S,
): Promise<Throughput> {
  log(`${label}: warm-up ${WARMUP_S} s`);
  await load(url, headers, WARMUP_S);
  await hooks.before?.();
  const [app0, demo0] = await Promise.all([cpuOf(app), cpuOf(demo)]);
  log(`${label}: measuring ${seconds} s, ${CONNECTIONS} connections`);
  const result = await load(url, headers, seconds);
  const [app1, demo1] = await Promise.all([cpuOf(app), cpuOf(demo)]);
  await hooks.after?.();
  const requests = result.requests.total;
  if (result['2xx'] === 0)
    throw new Error(`${label}: no successful response (${JSON.stringify(result.statusCodeStats)})`);
  return {
    label,
    rps: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    appCpuUs: (app1 - app0) / requests,
    demoCpuUs: (demo1 - demo0) / requests,
  };
}

interface Target {
  readonly label: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Process whose CPU goes in the "app" column (B, or P for the bare proxy). */
  readonly app: BenchChild;
  readonly demo: BenchChild;
  /** Measured seconds in total (split over the rounds). */
  readonly seconds: number;
  /** No app column (the calibration row). */
  readonly noApp?: boolean;
}

/**
 * Warm-up for each target, then ROUNDS rounds that measure every target in turn
 * (the order rotates every round); windows, CPU deltas and latency histograms
 * are merged per target.
 */
async function measureInterleaved(targets: readonly Target[]): Promise<Throughput[]> {
  for (const target of targets) {
    log(`${target.label}: warm-up ${WARMUP_S} s`);
    await load(target.url, target.headers, WARMUP_S);
  }
  const acc = targets.map(() => ({ raw: [] as RawResult[], app: 0, demo: 0, seconds: 0 }));
  for (let round = 0; round < ROUNDS; round += 1) {
    log(
      `measuring, round ${round + 1}/${ROUNDS}: ${targets.map((t) => `${t.label.split(' (')[0]} ${fmt(t.seconds / ROUNDS, 2)} s`).join(', ')}`,
    );
    for (let k = 0; k < targets.length; k += 1) {
      const i = (k + round) % targets.length;
      const target = targets[i] as Target;
      const slot = acc[i] as (typeof acc)[number];
      const [app0, demo0] = await Promise.all([cpuOf(target.app), cpuOf(target.demo)]);
      const raw = await loadRaw(target.url, target.headers, target.seconds / ROUNDS);
      const [app1, demo1] = await Promise.all([cpuOf(target.app), cpuOf(target.demo)]);
      slot.raw.push(raw);
      slot.app += app1 - app0;
      slot.demo += demo1 - demo0;
      slot.seconds += raw.duration;
    }
  }
  return targets.map((target, i) => {
    const slot = acc[i] as (typeof acc)[number];
    const result = autocannon.aggregateResult(slot.raw, { url: target.url, connections: CONNECTIONS });
    const requests = slot.raw.reduce((sum, raw) => sum + raw.totalCompletedRequests, 0);
    if (result['2xx'] === 0)
      throw new Error(`${target.label}: no successful response (${JSON.stringify(result.statusCodeStats)})`);
    return {
      label: target.label,
      rps: requests / slot.seconds,
      p50: result.latency.p50,
      p99: result.latency.p99,
      requests,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      appCpuUs: target.noApp ? Number.NaN : slot.app / requests,
      demoCpuUs: slot.demo / requests,
    };
  });
}

// ---------------------------------------------------------------- memory

interface MemoryResult {
  readonly logins: number;
  readonly failed: number;
  readonly seconds: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly rssDelta: number;
  readonly kibPerSession: number;
}

/** `count` real logins, LOGIN_PARALLEL at a time, until done, out of time, or failing. */
async function runLogins(
  run: Run,
  instance: Instance_,
  count: number,
  budgetMs: number,
  progress: boolean,
): Promise<{ done: number; failed: number }> {
  const deadline = Date.now() + budgetMs;
  let next = 0;
  let done = 0;
  let failed = 0;
  let lastError: unknown;
  const worker = async () => {
    while (next < count && Date.now() < deadline && failed <= 5) {
      const n = next++;
      try {
        await login(run, instance, DEMO_ACCOUNTS[n % DEMO_ACCOUNTS.length] as DemoAccount);
        done += 1;
        if (progress && done % 250 === 0) log(`memory: ${done} logins`);
      } catch (err) {
        failed += 1;
        lastError = err;
      }
    }
  };
  await Promise.all(Array.from({ length: LOGIN_PARALLEL }, worker));
  if (failed > 5 || done === 0) {
    throw new Error(
      `logins failing (${failed} failed): ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
  }
  return { done, failed };
}

async function memoryPerSession(run: Run, instance: Instance_): Promise<MemoryResult> {
  type Mem = { heapUsed: number; rss: number };
  // Warm-up logins first: the first ones compile code and fill caches once.
  await runLogins(run, instance, WARMUP_LOGINS, 20_000, false);
  // Let the sockets of the earlier load close before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = await instance.child.call<Mem>('mem');
  const started = Date.now();
  log(
    `memory: ${LOGINS} logins through the provider, ${LOGIN_PARALLEL} at a time (at most ${LOGIN_BUDGET_MS / 1000} s)`,
  );
  const { done, failed } = await runLogins(run, instance, LOGINS, LOGIN_BUDGET_MS, true);
  const after = await instance.child.call<Mem>('mem');
  return {
    logins: done,
    failed,
    seconds: (Date.now() - started) / 1000,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    rssDelta: after.rss - before.rss,
    kibPerSession: (after.heapUsed - before.heapUsed) / done / 1024,
  };
}

// ---------------------------------------------------------------- refresh storm

interface StormResult {
  readonly label: string;
  readonly instances: number;
  readonly seconds: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly refreshGrants: number;
  readonly refreshGrantErrors: number;
  readonly grantErrorCodes: Record<string, number>;
  /** Refresh grants sent, as counted by the instances' TokenService. */
  readonly appRefreshCount: number;
  /** New token versions stored during the storm (one per successful refresh). */
  readonly versionsAdvanced: number;
  readonly expected: number;
  readonly afterStatuses: readonly number[];
  readonly ok: boolean;
}

type TokenInfo = { expiresAt: number; lifetimeSeconds: number; version: number } | null;
type Stats = {
  grants: Record<string, number>;
  grantErrors: Record<string, number>;
  grantErrorsByCode: Record<string, number>;
};

async function storm(label: string, run: Run, instances: readonly Instance_[]): Promise<StormResult> {
  const first = instances[0] as Instance_;
  const session = await login(run, first, DEMO_ACCOUNTS[0] as DemoAccount);
  const headers = apiHeaders(session);
  for (const instance of instances) {
    const status = await statusOf(`${instance.origin}/api/me`, headers);
    if (status !== 200) throw new Error(`${label}: the new session does not work on ${instance.name} (${status})`);
  }
  await run.demo.call('resetStats');
  const counts0 = await Promise.all(instances.map((instance) => instance.child.call<number>('refreshCount')));
  const info0 = await first.child.call<TokenInfo>('tokenInfo', session.sid);
  if (!info0) throw new Error(`${label}: no tokens for the session`);

  log(
    `${label}: ${CONNECTIONS} connections on ONE session for ${STORM_S} s over ${instances.length} instance(s), ${info0.lifetimeSeconds} s tokens`,
  );
  const t0 = Date.now();
  const result = await load(
    instances.map((instance) => `${instance.loadOrigin}/api/me`),
    headers,
    STORM_S,
  );
  const t1 = Date.now();

  const stats = await run.demo.call<Stats>('stats');
  const counts1 = await Promise.all(instances.map((instance) => instance.child.call<number>('refreshCount')));
  const info1 = await first.child.call<TokenInfo>('tokenInfo', session.sid);
  const afterStatuses = await Promise.all(instances.map((instance) => statusOf(`${instance.origin}/api/me`, headers)));

  // Refresh k happens when the token is within the skew of its expiry: the first
  // one at expiresAt − skew, then one every (lifetime − skew) seconds.
  const skewMs = refreshMarginMs(info0.lifetimeSeconds, 'user');
  const periodMs = info0.lifetimeSeconds * 1000 - skewMs;
  const firstDue = Math.max(info0.expiresAt - skewMs, t0);
  const expected = firstDue > t1 ? 0 : Math.floor((t1 - firstDue) / periodMs) + 1;

  const refreshGrants = stats.grants['refresh_token'] ?? 0;
  const refreshGrantErrors = stats.grantErrors['refresh_token'] ?? 0;
  const versionsAdvanced = info1 ? info1.version - info0.version : -1;
  const non2xx = result.non2xx;
  const errors = result.errors + result.timeouts;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    label,
    instances: instances.length,
    seconds: (t1 - t0) / 1000,
    requests: result.requests.total,
    non2xx,
    errors,
    statusCodes,
    refreshGrants,
    refreshGrantErrors,
    grantErrorCodes: stats.grantErrorsByCode,
    appRefreshCount: counts1.reduce((a, b) => a + b, 0) - counts0.reduce((a, b) => a + b, 0),
    versionsAdvanced,
    expected,
    afterStatuses,
    ok:
      refreshGrantErrors === 0 &&
      refreshGrants === versionsAdvanced &&
      Math.abs(refreshGrants - expected) <= 1 &&
      non2xx === 0 &&
      errors === 0 &&
      afterStatuses.every((status) => status === 200),
  };
}

// ---------------------------------------------------------------- Redis (issue 6)

interface RedisPlan {
  readonly enabled: boolean;
  readonly reason?: string;
}

/**
 * REDIS HOOK (issue 6): the Redis part runs only when the app can use Redis,
 * i.e. src/session/redis-backends.ts exports createRedisBackends AND
 * src/services.ts honours config.session.redisUrl with it, and redis-server is
 * installed. Otherwise the report says "skipped: …" and nothing else changes.
 */
function planRedis(): RedisPlan {
  if (process.env.BENCH_REDIS === 'off') return { enabled: false, reason: 'skipped: BENCH_REDIS=off' };
  const backends = path.join(ROOT, 'src', 'session', 'redis-backends.ts');
  if (
    !existsSync(backends) ||
    !/export\s+(async\s+)?function\s+createRedisBackends\b/.test(readFileSync(backends, 'utf8'))
  ) {
    return { enabled: false, reason: 'skipped: createRedisBackends does not exist yet' };
  }
  const services = readFileSync(path.join(ROOT, 'src', 'services.ts'), 'utf8');
  if (!/redisUrl/.test(services) || !/createRedisBackends/.test(services)) {
    return { enabled: false, reason: 'skipped: Redis backends not wired' };
  }
  const probe = spawnSync(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { enabled: false, reason: 'skipped: redis-server is not installed' };
  return { enabled: true };
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const verdict = (ok: boolean, target: string) => (ok ? `OK (target ${target})` : `MISSED (target ${target})`);

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

interface Facts {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly loadAverage: string;
}

function machineFacts(): Facts {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    cpu = os.cpus()[0]?.model ?? cpu;
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    cpu,
    cores: os.availableParallelism(),
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

function throughputRow(t: Throughput, appColumn = true): string[] {
  return [
    t.label,
    fmt(t.rps),
    fmt(t.p50, 1),
    fmt(t.p99, 1),
    appColumn ? fmt(t.appCpuUs) : '—',
    fmt(t.demoCpuUs),
    `${t.non2xx} / ${t.errors}`,
  ];
}

function stormRows(s: StormResult): string[][] {
  return [
    [
      'Refresh grants at the provider',
      `${s.refreshGrants} (${s.refreshGrantErrors} refused${s.refreshGrantErrors ? `: ${JSON.stringify(s.grantErrorCodes)}` : ''})`,
    ],
    [
      'Expected (one per expiry)',
      `${s.expected} (≈ ${STORM_S} s / (${STORM_TTL_S} s − ${refreshMarginMs(STORM_TTL_S, 'user') / 1000} s skew), ±1 at the edges)`,
    ],
    ['New token versions stored', String(s.versionsAdvanced)],
    ['Refresh grants sent by the app (TokenService.refreshCount)', String(s.appRefreshCount)],
    ['Requests / non-2xx / errors', `${fmt(s.requests)} / ${s.non2xx} / ${s.errors}`],
    [
      'Status codes',
      Object.entries(s.statusCodes)
        .map(([code, n]) => `${code}: ${fmt(n)}`)
        .join(', '),
    ],
    [
      'Session works afterwards',
      s.afterStatuses.map((status) => (status === 200 ? '200 yes' : `${status} NO`)).join(', '),
    ],
    ['Verdict', verdict(s.ok, 'exactly one refresh grant per expiry, zero failed calls, live session')],
  ];
}

interface Report {
  facts: Facts;
  calibration: Throughput;
  floor: Throughput;
  direct: Throughput;
  proxied: Throughput;
  redisProxied?: Throughput;
  records: {
    sessionJsonLength: number | null;
    tokenJsonLength: number | null;
    flowLogJsonLength: number;
    flowLogEvents: number;
  };
  memory: MemoryResult;
  storm: StormResult;
  redisStorm?: StormResult;
  redisNote?: string;
  durationS: number;
}

function renderReport(r: Report): string {
  const share = r.proxied.rps / r.direct.rps;
  const shareVerdict =
    share >= TARGET.share
      ? `OK (target ≥ ${TARGET.share})`
      : share < TARGET.defectShare
        ? `MISSED — DEFECT (< ${TARGET.defectShare})`
        : `MISSED (target ≥ ${TARGET.share})`;
  const cpuOk = r.proxied.appCpuUs <= TARGET.cpuUs;
  const memOk = r.memory.kibPerSession <= TARGET.kib;
  const lines: string[] = [];
  lines.push(
    `Measured ${r.facts.date} with \`npm run bench\` (scripts/bench.ts, ${fmt(r.durationS)} s). ` +
      `Node ${r.facts.node}, CPU ${r.facts.cpu}, ${r.facts.cores} cores, load average (1/5/15 min) at start ${r.facts.loadAverage}, at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}. ` +
      'A shared, noisy machine: compare the ratios, not the absolute numbers.',
    '',
    'Processes: **A** the embedded provider and demo API, **B** the app (built like `src/server.ts`, `LOG_LEVEL=' +
      (process.env.BENCH_LOG_LEVEL ?? 'info') +
      '`, logs to a file), **C** the load generator (autocannon, 50 connections, keep-alive, pipelining 1), and for one row ' +
      '**P** a bare node:http proxy (scripts/bench-floor.ts). All share the same 2 cores, so the load generator takes CPU from the servers in every row. ' +
      "CPU per request is the process's `process.cpuUsage()` delta over the measured window divided by the completed requests.",
    '',
    `### 1. Throughput: \`GET /me\` directly with a bearer token vs through \`/api/me\``,
    '',
    `Each row: ${WARMUP_S} s warm-up, then ${MEASURE_S} s measured (calibration rows ${CALIBRATION_S} s) in ${ROUNDS} rounds that alternate the rows, ` +
      "so a neighbour's load spike hits every row alike. Access tokens live 3600 s here: no refresh during this part.",
    '',
    table(
      ['Call', 'req/s', 'p50 ms', 'p99 ms', 'app (B) CPU µs/req', 'provider+API (A) CPU µs/req', 'non-2xx / errors'],
      [
        throughputRow(r.calibration, false),
        throughputRow(r.direct),
        throughputRow(r.floor),
        throughputRow(r.proxied),
        ...(r.redisProxied ? [throughputRow(r.redisProxied)] : []),
      ],
    ),
    '',
    `- Calibration: a bare Node \`http\` server (in A, ${CALIBRATION_S} s) costs **${fmt(r.calibration.demoCpuUs)} µs** of CPU per request on this machine at this moment; ` +
      `the app's proxied request costs **${(r.proxied.appCpuUs / r.calibration.demoCpuUs).toFixed(0)}×** that, the demo API's JWT-checked \`/me\` ${(r.direct.demoCpuUs / r.calibration.demoCpuUs).toFixed(0)}×.`,
    `- Proxied / direct throughput: **${share.toFixed(2)}** — ${shareVerdict}`,
    `- Floor: a bare 20-line node:http proxy (no session, logging or headers; process P, ${CALIBRATION_S} s) keeps **${(r.floor.rps / r.direct.rps).toFixed(2)}** of direct at ` +
      `${fmt(r.floor.appCpuUs)} µs CPU per request (in the B column); the app adds ${fmt(r.proxied.appCpuUs - r.floor.appCpuUs)} µs on top of it.`,
    `- App CPU per proxied request: **${fmt(r.proxied.appCpuUs)} µs** — ${verdict(cpuOk, `≤ ${TARGET.cpuUs} µs`)}`,
    '- The demo API verifies a JWT (jose, RS256) on every request: that cost is in both rows (last CPU column).',
    '',
    `### 2. Refresh storm: ${STORM_TTL_S} s access tokens, ${CONNECTIONS} connections on one session, ${STORM_S} s`,
    '',
    table(['', 'One instance, in-memory store'], stormRows(r.storm)),
    '',
    `### 3. Memory per session (${fmt(r.memory.logins)} real logins through the provider, heap after \`global.gc()\`)`,
    '',
    table(
      ['', ''],
      [
        [
          'heapUsed before → after',
          `${fmt(r.memory.heapBefore / 1048576, 1)} MiB → ${fmt(r.memory.heapAfter / 1048576, 1)} MiB`,
        ],
        ['Per session', `**${fmt(r.memory.kibPerSession, 2)} KiB** — ${verdict(memOk, `≤ ${TARGET.kib} KiB`)}`],
        ['RSS delta (informational)', `${fmt(r.memory.rssDelta / 1048576, 1)} MiB`],
        [
          'Logins (failed) / time',
          `${fmt(r.memory.logins)} of ${fmt(LOGINS)} planned (${r.memory.failed} failed) in ${fmt(r.memory.seconds, 1)} s, after ${WARMUP_LOGINS} warm-up logins`,
        ],
        ['Stored session record (JSON)', `${r.records.sessionJsonLength ?? 'n/a'} characters`],
        ['Stored token record (JSON)', `${r.records.tokenJsonLength ?? 'n/a'} characters`],
        [
          'Flow log of that session (JSON)',
          `${r.records.flowLogJsonLength} characters, ${r.records.flowLogEvents} events (capped at 60)`,
        ],
      ],
    ),
    '',
    '### 4. Redis session store (issue 6)',
    '',
  );
  if (r.redisProxied && r.redisStorm) {
    lines.push(
      table(
        ['Proxied `GET /api/me`', 'req/s', 'p50 ms', 'p99 ms', 'app CPU µs/req'],
        [
          [
            'in-memory store',
            fmt(r.proxied.rps),
            fmt(r.proxied.p50, 1),
            fmt(r.proxied.p99, 1),
            fmt(r.proxied.appCpuUs),
          ],
          [
            'Redis store',
            fmt(r.redisProxied.rps),
            fmt(r.redisProxied.p50, 1),
            fmt(r.redisProxied.p99, 1),
            fmt(r.redisProxied.appCpuUs),
          ],
        ],
      ),
      '',
      `- Redis / in-memory throughput: **${(r.redisProxied.rps / r.proxied.rps).toFixed(2)}**; Redis / direct: ${(r.redisProxied.rps / r.direct.rps).toFixed(2)}`,
      '',
      table(
        ['', 'Two instances sharing Redis (connections alternate between them, same cookie)'],
        stormRows(r.redisStorm),
      ),
      '',
    );
  } else {
    lines.push(r.redisNote ?? 'skipped', '');
  }
  lines.push(
    '### Compared with the reference figures (issue 3, same measurement on this kind of machine)',
    '',
    table(
      ['', 'This app', 'Target', REFERENCE.apache.name, REFERENCE.eoc.name],
      [
        [
          'Share of direct throughput',
          `${share.toFixed(2)} ${share >= TARGET.share ? '' : 'MISSED'}`.trim(),
          `≥ ${TARGET.share} (< ${TARGET.defectShare} defect)`,
          String(REFERENCE.apache.share),
          String(REFERENCE.eoc.share),
        ],
        [
          'App CPU per proxied request',
          `${fmt(r.proxied.appCpuUs)} µs ${cpuOk ? '' : 'MISSED'}`.trim(),
          `≤ ${TARGET.cpuUs} µs`,
          `~${REFERENCE.apache.cpuUs} µs`,
          `~${REFERENCE.eoc.cpuUs} µs`,
        ],
        [
          'Memory per session',
          `${fmt(r.memory.kibPerSession, 2)} KiB ${memOk ? '' : 'MISSED'}`.trim(),
          `≤ ${TARGET.kib} KiB`,
          `~${REFERENCE.apache.kib} KiB`,
          `~${REFERENCE.eoc.kib} KiB`,
        ],
        [
          'Refresh storm (5 s tokens, 50 connections, 20 s)',
          `${r.storm.refreshGrants} grants for ${r.storm.expected} expiries, ${r.storm.non2xx + r.storm.errors} failed calls, session ${r.storm.afterStatuses.every((s) => s === 200) ? 'live' : 'LOST'}${r.storm.ok ? '' : ' MISSED'}`,
          'one grant per expiry, 0 failed, live',
          '> 10,000 grants, session lost',
          '> 10,000 grants, session lost',
        ],
      ],
    ),
  );
  return lines.join('\n');
}

function renderProfile(facts: Facts, throughput: Throughput, summary: ProfileSummary): string {
  const rows = (list: ProfileSummary['byArea']) =>
    list.map((row) => [row.name.replace(/\|/g, '\\|'), fmt(row.usPerRequest, 1), `${(row.share * 100).toFixed(1)} %`]);
  return [
    `Profiled ${facts.date} with \`npm run bench -- --profile\`: V8 sampling profiler (250 µs) in process B during ${MEASURE_S} s of proxied \`GET /api/me\` ` +
      `(${fmt(throughput.requests)} requests, ${fmt(throughput.rps)} req/s, ${fmt(throughput.appCpuUs)} µs CPU/request by \`process.cpuUsage()\`, profiler overhead included). ` +
      `Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores.`,
    '',
    `Busy time in the profile: ${fmt(summary.busyMs)} ms = ${fmt(summary.busyUsPerRequest)} µs per request (main thread only: GC helpers and I/O threads are not sampled).`,
    '',
    'Where the time goes, by purpose. Each sample is charged to the nearest package or src/ frame above it: native code and Node internals ' +
      '(crypto, JSON, events) count for their caller, except HTTP/socket/stream work, which is "node core" even when a package wrapped `res.end`:',
    '',
    table(['Purpose', 'µs/request', 'share of busy'], rows(summary.byPurpose)),
    '',
    'By package / file:',
    '',
    table(['Area', 'µs/request', 'share of busy'], rows(summary.byArea)),
    '',
    'Top functions, with the native and Node-internal work they call:',
    '',
    table(['Function', 'µs/request', 'share of busy'], rows(summary.topAttributed)),
    '',
    'Top self time (leaf functions):',
    '',
    table(['Function', 'µs/request', 'share of busy'], rows(summary.topSelf)),
  ].join('\n');
}

function writeDocSection(marker: 'figures' | 'profile' | 'layers', body: string): void {
  const start = `<!-- bench:${marker}:start -->`;
  const end = `<!-- bench:${marker}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  let doc = existsSync(DOC)
    ? readFileSync(DOC, 'utf8')
    : [
        '# Benchmark',
        '',
        'Issue 3 ("Benchmark") and issue 6 (Redis): `npm run bench`, `npm run bench -- --profile`, `npm run bench -- --layers`.',
        'The sections between the `bench:` markers are rewritten by those commands; the rest is kept.',
        '',
        '## Figures',
        '',
        '<!-- bench:figures:start -->\n_Not measured yet._\n<!-- bench:figures:end -->',
        '',
        "## Where the app's CPU goes",
        '',
        '### Layer by layer',
        '',
        '<!-- bench:layers:start -->\n_Not measured yet._\n<!-- bench:layers:end -->',
        '',
        '### Profile of the full app',
        '',
        '<!-- bench:profile:start -->\n_Not profiled yet._\n<!-- bench:profile:end -->',
        '',
      ].join('\n');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  doc =
    from !== -1 && to > from
      ? doc.slice(0, from) + block + doc.slice(to + end.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, doc);
}

// ---------------------------------------------------------------- main

async function profileMain(facts: Facts): Promise<void> {
  const run = await startRun('profile', 3600, [{ name: 'app' }]);
  const app = run.instances[0] as Instance_;
  const session = await login(run, app, DEMO_ACCOUNTS[0] as DemoAccount);
  const file = path.join(tmp, 'app.cpuprofile');
  const throughput = await measure(
    'proxied (profiled)',
    `${app.loadOrigin}/api/me`,
    apiHeaders(session),
    app.child,
    run.demo,
    {
      before: async () => {
        await app.child.call('profileStart', 250);
      },
      after: async () => {
        await app.child.call('profileStop', file, 60_000);
      },
    },
  );
  await run.stop();
  const summary = summarizeProfile(file, throughput.requests, ROOT);
  const text = renderProfile(facts, throughput, summary);
  console.log(`\n${text}\n`);
  if (!QUICK) writeDocSection('profile', text);
  console.log(`profile kept in ${file} (open it in Chrome DevTools); summary in ${path.relative(ROOT, DOC)}`);
}

const LAYER_S = QUICK ? 2 : 8;

async function layersMain(facts: Facts): Promise<void> {
  const run = await startRun('layers', 3600, [{ name: 'layers', script: 'bench-layers.ts' }]);
  const server = run.instances[0] as Instance_;
  const ports = server.info.ports as Record<string, number>;
  const order = server.info.order as string[];
  const session = await login(run, server, DEMO_ACCOUNTS[0] as DemoAccount);
  await server.child.call('setSession', session.sid);
  const slim = await server.child.call<{ cookie: string; fullJsonLength: number; slimJsonLength: number }>(
    'slimSession',
  );
  const targets: Target[] = order.map((name) => ({
    label: name,
    url: `http://127.0.0.1:${String(ports[name])}/api/me`,
    headers: name.includes('slim session') ? { ...apiHeaders(session), cookie: slim.cookie } : apiHeaders(session),
    app: server.child,
    demo: run.demo,
    seconds: LAYER_S,
  }));
  const results = await measureInterleaved(targets);
  await run.stop();
  const rows = results.map((result, i) => {
    let base = i - 1;
    while (base >= 0 && (order[base] ?? '').startsWith('  ')) base -= 1;
    const delta = base >= 0 ? result.appCpuUs - (results[base] as Throughput).appCpuUs : Number.NaN;
    return [
      result.label.startsWith('  ') ? `&nbsp;&nbsp;${result.label.trim()}` : result.label,
      fmt(result.rps),
      fmt(result.p50, 1),
      fmt(result.appCpuUs),
      Number.isNaN(delta) ? '—' : `${delta >= 0 ? '+' : ''}${fmt(delta)}`,
      `${result.non2xx} / ${result.errors}`,
    ];
  });
  const text = [
    `Measured ${facts.date} with \`npm run bench -- --layers\` (scripts/bench-layers.ts). Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores, ` +
      `load average at start ${facts.loadAverage}. Every row is a proxied \`GET /api/me\` on the same logged-in session, ${CONNECTIONS} connections, ` +
      `${WARMUP_S} s warm-up, ${LAYER_S} s measured in ${ROUNDS} alternating rounds, all variants in one process (L) next to the provider and API (A).`,
    '',
    table(['Pipeline', 'req/s', 'p50 ms', 'CPU µs/req', 'Δ µs vs the row it builds on', 'non-2xx / errors'], rows),
    '',
    `Rows starting with "+" add one layer to the row above; indented rows vary the express-session row. The slim session record is ` +
      `${slim.slimJsonLength} JSON characters instead of ${slim.fullJsonLength} (no ID-token claims, no login trace). The pipeline is rebuilt by hand ` +
      'from the app\'s own middleware; the gap to the "full app" row is what is not rebuilt (health and static routes, page locals, absolute timeout, 404 handler).',
  ].join('\n');
  console.log(`\n${text}\n`);
  if (!QUICK) writeDocSection('layers', text);
}

async function benchMain(facts: Facts): Promise<boolean> {
  const redis = planRedis();
  let redisNote = redis.reason;
  if (redis.enabled) {
    redisServer = await startRedisServer();
    log(`redis-server on 127.0.0.1:${redisServer.port}`);
  } else {
    log(`Redis part: ${redis.reason}`);
  }
  const redisUrl = redisServer?.url;

  // Run 1: long-lived tokens, throughput and memory.
  log('run 1: starting A (provider + API, 3600 s tokens) and B');
  const run1 = await startRun('run1', 3600, [{ name: 'app' }, ...(redisUrl ? [{ name: 'app-redis', redisUrl }] : [])]);
  const app = run1.instances[0] as Instance_;
  const session = await login(run1, app, DEMO_ACCOUNTS[0] as DemoAccount);
  const token = await app.child.call<string | null>('accessToken', session.sid);
  if (!token) throw new Error('no access token for the logged-in session');
  const bearer = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const directUrl = `${run1.apiOrigin}/me`;
  const proxiedUrl = `${app.loadOrigin}/api/me`;
  for (const [url, headers] of [
    [directUrl, bearer],
    [proxiedUrl, apiHeaders(session)],
  ] as const) {
    const status = await statusOf(url, headers);
    if (status !== 200) throw new Error(`sanity check: ${url} answered ${status}`);
  }
  const floorChild = new BenchChild({
    name: 'run1/P bare proxy',
    script: path.join(ROOT, 'scripts', 'bench-floor.ts'),
    cwd: ROOT,
    env: { ...baseEnv(), BENCH_FLOOR_TARGET: directUrl },
    logFile: path.join(tmp, 'run1-floor.log'),
  });
  children.add(floorChild);
  const floorInfo = await floorChild.ready;
  await floorChild.call('setToken', token);
  const redisApp = run1.instances[1];
  const redisSession = redisApp ? await login(run1, redisApp, DEMO_ACCOUNTS[0] as DemoAccount) : undefined;
  const targets: Target[] = [
    {
      label: 'bare node:http server (calibration, in A)',
      url: `${run1.calibrationOrigin}/`,
      headers: {},
      app: app.child,
      demo: run1.demo,
      seconds: CALIBRATION_S,
      noApp: true,
    },
    {
      label: 'direct GET /me (bearer)',
      url: directUrl,
      headers: bearer,
      app: app.child,
      demo: run1.demo,
      seconds: MEASURE_S,
    },
    {
      label: 'bare node:http proxy to /me (floor, P)',
      url: `http://127.0.0.1:${String(floorInfo.port)}/`,
      headers: {},
      app: floorChild,
      demo: run1.demo,
      seconds: CALIBRATION_S,
    },
    {
      label: 'proxied GET /api/me (cookie + X-CSRF)',
      url: proxiedUrl,
      headers: apiHeaders(session),
      app: app.child,
      demo: run1.demo,
      seconds: MEASURE_S,
    },
    ...(redisApp && redisSession
      ? [
          {
            label: 'proxied GET /api/me, Redis store',
            url: `${redisApp.loadOrigin}/api/me`,
            headers: apiHeaders(redisSession),
            app: redisApp.child,
            demo: run1.demo,
            seconds: MEASURE_S,
          },
        ]
      : []),
  ];
  const [calibration, direct, floor, proxied, redisProxied] = (await measureInterleaved(targets)) as [
    Throughput,
    Throughput,
    Throughput,
    Throughput,
    Throughput?,
  ];
  await floorChild.stop();
  children.delete(floorChild);
  const records = await app.child.call<Report['records']>('records', session.sid);
  const memory = await memoryPerSession(run1, app);
  await run1.stop();

  // Run 2: 5-second tokens, the refresh storm.
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
  const stormResult = await storm('storm (one instance)', run2, [run2.instances[0] as Instance_]);
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
    calibration,
    floor,
    direct,
    proxied,
    records,
    memory,
    storm: stormResult,
    durationS: (Date.now() - benchStarted) / 1000,
    ...(redisProxied ? { redisProxied } : {}),
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
  return true;
}

const facts = machineFacts();
console.log(
  `oidc-bff benchmark — ${facts.date}, node ${facts.node}, ${facts.cpu}, ${facts.cores} cores, load ${facts.loadAverage}${QUICK ? ' (--quick)' : ''}`,
);
try {
  if (PROFILE) await profileMain(facts);
  else if (LAYERS) {
    await layersMain(facts);
    rmSync(tmp, { recursive: true, force: true });
  } else {
    await benchMain(facts);
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

/**
 * The processes under test (bench only): A, the embedded provider and demo
 * API (demo-process.ts), and one or more B, the app built like src/server.ts
 * (app-process.ts), on free loopback ports passed through the environment
 * (PORT, DEMO_PROVIDER_PORT, DEMO_API_PORT) exactly as `npm start` reads them.
 *
 * Every child is registered in `children`, so main.ts can kill them all on
 * exit, error and SIGINT; their logs go to files in `tmp`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { BenchChild } from './ipc.js';
import { demoAppEnvironment } from '../../src/demo/app-environment.js';
import { APP_CODE, BENCH_LOG_LEVEL, ROOT } from './options.js';

/** Every child process still running. */
export const children = new Set<BenchChild>();
/** Where the children's logs (and a profile) are written. */
export const tmp = mkdtempSync(path.join(os.tmpdir(), 'oidc-bff-bench-'));

/** One app process (B). */
export interface AppInstance {
  readonly name: string;
  readonly child: BenchChild;
  /** Where this instance listens (the bench talks to it here). */
  readonly origin: string;
  /** Same, as 127.0.0.1 for autocannon (no name resolution). */
  readonly loadOrigin: string;
  /** What the process said when it was ready. */
  readonly info: Record<string, unknown>;
}

/** A provider + API process (A) and the app processes in front of it. */
export interface Run {
  readonly demo: BenchChild;
  readonly apiOrigin: string;
  /** A bare node:http server in process A (calibration). */
  readonly calibrationOrigin: string;
  /** BASE_URL shared by every instance (the registered redirect URI lives here). */
  readonly publicOrigin: string;
  readonly instances: readonly AppInstance[];
  stop(): Promise<void>;
}

const SECRET = randomBytes(32).toString('base64url');
/** Instances sharing Redis must share the key their token records are encrypted with (build or sources). */
const TOKEN_KEY = randomBytes(32).toString('hex');

let built = false;
/** `npm run build` once per benchmark when B runs the build (`APP_CODE` dist). */
export function buildOnce(): void {
  if (APP_CODE !== 'dist' || built) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed');
  built = true;
}

/**
 * B's environment on the build: production, with the provider in A configured as a real one
 * (what `npm run demo:provider` prints for an app), so no demo-mode default is involved.
 */
function productionEnv(providerPort: number, apiPort: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    BENCH_APP_CODE: 'dist',
    ...demoAppEnvironment(`http://127.0.0.1:${providerPort}`, `http://127.0.0.1:${apiPort}/`),
  };
}

/** The environment every child starts from. */
export function baseEnv(): Record<string, string> {
  // Only what the processes need: the benchmark must not pick up an OIDC_ISSUER,
  // API_BASE_URL or REDIS_URL from the shell (nor a .env: the bench never loads one).
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'BENCH_SOURCE_MAPS'];
  const env: Record<string, string> = {};
  for (const key of keep) if (process.env[key]) env[key] = process.env[key] as string;
  return env;
}

/** Forks `script` (in scripts/bench/) as a registered child; resolves when it is ready. */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  logName: string,
): Promise<{ child: BenchChild; info: Record<string, unknown> }> {
  const child = new BenchChild({
    name,
    script: path.join(ROOT, 'scripts', 'bench', script),
    cwd: ROOT,
    env,
    logFile: path.join(tmp, `${logName}.log`),
  });
  children.add(child);
  return { child, info: await child.ready };
}

/** Stops `child` and forgets it. */
export async function stopChild(child: BenchChild): Promise<void> {
  await child.stop();
  children.delete(child);
}

/** One B to start: its name, and what its environment adds to the run's. */
export interface InstancePlan {
  readonly name: string;
  readonly redisUrl?: string;
  readonly script?: string;
  /** Extra variables (e.g. METRICS_PORT). */
  readonly env?: Record<string, string>;
}

/** Starts A with `ttlSeconds` access tokens (and `demoEnv` added to its environment), then one B per entry of `instances`. */
export async function startRun(
  label: string,
  ttlSeconds: number,
  instances: readonly InstancePlan[],
  demoEnv: Record<string, string> = {},
): Promise<Run> {
  const [providerPort, apiPort, ...appPorts] = await Promise.all([
    freePort(),
    freePort(),
    ...instances.map(() => freePort()),
  ]);
  const publicPort = appPorts[0] as number;
  if (instances.some((instance) => (instance.script ?? 'app-process.ts') === 'app-process.ts')) buildOnce();
  const common: Record<string, string> = {
    ...baseEnv(),
    NODE_ENV: 'development',
    LOG_LEVEL: BENCH_LOG_LEVEL,
    PORT: String(publicPort),
    DEMO_PROVIDER_PORT: String(providerPort),
    DEMO_API_PORT: String(apiPort),
    DEMO_ACCESS_TOKEN_TTL: String(ttlSeconds),
    SESSION_SECRET: SECRET,
    TOKEN_ENCRYPTION_KEY: TOKEN_KEY,
    RATE_LIMIT_API_PER_MINUTE: '100000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  };
  const demo = await startChild(
    `${label}/A demo provider+API`,
    'demo-process.ts',
    { ...common, ...demoEnv },
    `${label}-demo`,
  );
  // One after another: on a loaded machine, several processes compiling at once miss their ready deadline.
  const started: AppInstance[] = [];
  for (const [i, instance] of instances.entries()) {
    const port = appPorts[i] as number;
    const script = instance.script ?? 'app-process.ts';
    const onBuild = APP_CODE === 'dist' && script === 'app-process.ts';
    const env = {
      ...common,
      ...(onBuild ? productionEnv(providerPort as number, apiPort as number) : {}),
      PORT: String(port),
      BASE_URL: `http://localhost:${publicPort}`,
      ...(instance.redisUrl ? { REDIS_URL: instance.redisUrl } : {}),
      ...instance.env,
    };
    const { child, info } = await startChild(`${label}/B ${instance.name}`, script, env, `${label}-${instance.name}`);
    started.push({
      name: instance.name,
      child,
      origin: `http://localhost:${port}`,
      loadOrigin: `http://127.0.0.1:${port}`,
      info,
    });
  }
  return {
    demo: demo.child,
    apiOrigin: `http://127.0.0.1:${apiPort}`,
    calibrationOrigin: `http://127.0.0.1:${String(demo.info.calibrationPort)}`,
    publicOrigin: `http://localhost:${publicPort}`,
    instances: started,
    async stop() {
      await Promise.all([...started.map((instance) => stopChild(instance.child)), stopChild(demo.child)]);
    },
  };
}

/** Starts P, the bare undici proxy (floor-process.ts), sending `run`'s `GET /me` with `token`; its child and URL. */
export async function startFloor(label: string, run: Run, token: string): Promise<{ child: BenchChild; url: string }> {
  const floor = await startChild(
    `${label}/P bare proxy`,
    'floor-process.ts',
    { ...baseEnv(), BENCH_FLOOR_TARGET: `${run.apiOrigin}/me` },
    `${label}-floor`,
  );
  await floor.child.call('setToken', token);
  return { child: floor.child, url: `http://127.0.0.1:${String(floor.info.port)}/` };
}

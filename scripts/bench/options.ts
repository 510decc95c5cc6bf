/**
 * The benchmark's command-line options and the durations and sizes they set
 * (bench only). See main.ts for what each option does.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = new Set(process.argv.slice(2));

/** The repository root (the benchmark's processes run from here). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The page whose marked sections the benchmark rewrites. */
export const DOC = path.join(ROOT, 'docs', 'benchmark.md');

export const PROFILE = args.has('--profile');
export const LAYERS = args.has('--layers');
export const QUICK = args.has('--quick');
export const OBSERVABILITY = args.has('--observability');
export const SEVERAL_APIS = args.has('--several-apis');
export const DPOP = args.has('--dpop');
export const FLOOR = args.has('--floor');
/** With --profile: profile the app on Redis (its own redis-server) instead of in memory. */
export const ON_REDIS = args.has('--redis');
export const MEMORY = args.has('--memory');
/** A folder for heap snapshots of B before and after part 3's measured logins (for comparing them). */
export const HEAP_SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;

export const CONNECTIONS = 50;
export const WARMUP_S = QUICK ? 1 : 2;
export const MEASURE_S = QUICK ? 3 : 10;
/** The measured time is split in rounds that alternate the targets, so a load spike from a neighbour hits all of them. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS) || 4;
/** Calibration rows (bare server, bare proxy) get half the time of the main rows. */
export const CALIBRATION_S = MEASURE_S / 2;
/** Measured seconds per row of the observability part (four rows, longer rounds: the differences are small). */
export const OBSERVABILITY_S = QUICK ? 4 : 16;
/** Measured seconds per row of `--layers`. */
export const LAYER_S = QUICK ? 2 : 8;
export const STORM_S = QUICK ? 8 : 20;
export const STORM_TTL_S = 5;
export const LOGINS = QUICK ? 100 : 1_000;
/** Logins whose Redis memory is measured (the app on Redis). */
export const REDIS_LOGINS = QUICK ? 50 : 300;
export const WARMUP_LOGINS = 20;
/**
 * Logins before the heap baseline of part 3. V8 keeps compiling and optimising the login path's
 * code over the first several hundred logins, and `heapUsed` counts that code: heap snapshots of
 * the measured window showed compiled code still growing by about 1 KB per login after 300
 * warm-up logins, and settled (within ±0.3 KB per login, up and down) after 1,000.
 */
export const MEMORY_WARMUP_LOGINS = QUICK ? 20 : 1_000;
export const LOGIN_PARALLEL = 4;
export const LOGIN_BUDGET_MS = QUICK ? 20_000 : 50_000;
/** Hard stop for the whole benchmark. */
export const WATCHDOG_MS = 900_000;
/** The app's LOG_LEVEL in the benchmark (default info, as `npm start`). */
export const BENCH_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
/**
 * Which code process B runs: `dist` (default) is what `npm run start:prod` runs (the build, NODE_ENV=production,
 * the provider configured like a real one); `BENCH_APP_CODE=src` runs the TypeScript sources as `npm start` does.
 */
export const APP_CODE: 'dist' | 'src' = process.env.BENCH_APP_CODE === 'src' ? 'src' : 'dist';

/**
 * Load and what it costs (bench only): autocannon against a URL, and CPU per
 * request of the processes behind it, from their `process.cpuUsage()` deltas
 * over the measured window divided by the completed requests.
 */
import autocannon, { type Instance, type Options, type RawResult, type Result } from 'autocannon';
import { fmt, log } from './format.js';
import type { BenchChild } from './ipc.js';
import { CONNECTIONS, MEASURE_S, ROUNDS, WARMUP_S } from './options.js';

let currentLoad: Instance | undefined;

/** Stops the load that is running, if any (SIGINT). */
export function stopLoad(): void {
  currentLoad?.stop();
}

/** Runs one autocannon load, stoppable by {@link stopLoad}. */
async function run(options: Options): Promise<Result> {
  const instance = autocannon({ connections: CONNECTIONS, pipelining: 1, timeout: 10, ...options });
  currentLoad = instance;
  try {
    return await instance;
  } finally {
    currentLoad = undefined;
  }
}

/** CONNECTIONS keep-alive connections on `url` (or spread over several) for `durationS`. */
export function load(url: string | string[], headers: Record<string, string>, durationS: number): Promise<Result> {
  return run({ url, headers, duration: durationS });
}

/** Like {@link load}, without aggregation, so several windows can be merged. */
async function loadRaw(url: string, headers: Record<string, string>, durationS: number): Promise<RawResult> {
  return (await run({ url, headers, duration: durationS, skipAggregateResult: true })) as unknown as RawResult;
}

type CpuUsage = { user: number; system: number };

/** CPU microseconds a child has used so far. */
async function cpuOf(child: BenchChild): Promise<number> {
  const usage = await child.call<CpuUsage>('cpu');
  return usage.user + usage.system;
}

/** One row of a throughput table. */
export interface Throughput {
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
  /** CPU µs per request of the target's extra process (the Redis server), when it has one. */
  readonly extraCpuUs?: number;
  /** Per round of {@link measureInterleaved}, for same-round ratios between rows. */
  readonly rounds?: readonly RoundFigures[];
}

/** One row's figures in one round. */
export interface RoundFigures {
  readonly rps: number;
  readonly appCpuUs: number;
}

/** Something to do around the measured window. */
export interface MeasureHooks {
  /** Runs after the warm-up, right before the measured window (e.g. start a profile). */
  readonly before?: () => Promise<void>;
  /** Runs right after the measured window. */
  readonly after?: () => Promise<void>;
}

/** A warm-up, then one measured window of `seconds` on `url`. */
export async function measure(
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
  return throughputOf(label, result, result.requests.total, result.duration, app1 - app0, demo1 - demo0);
}

/** A table row from a merged autocannon result and the CPU the processes used meanwhile. */
function throughputOf(
  label: string,
  result: Result,
  requests: number,
  seconds: number,
  appCpu: number,
  demoCpu: number,
): Throughput {
  if (result['2xx'] === 0) {
    throw new Error(`${label}: no successful response (${JSON.stringify(result.statusCodeStats)})`);
  }
  return {
    label,
    rps: requests / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    appCpuUs: appCpu / requests,
    demoCpuUs: demoCpu / requests,
  };
}

/** One row of {@link measureInterleaved}. */
export interface Target {
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
  /** CPU µs used so far by one more process this row depends on (the Redis server). */
  readonly extraCpu?: () => Promise<number>;
}

/**
 * Warm-up for each target, then ROUNDS rounds that measure every target in turn
 * (the order rotates every round); windows, CPU deltas and latency histograms
 * are merged per target.
 */
export async function measureInterleaved(targets: readonly Target[]): Promise<Throughput[]> {
  for (const target of targets) {
    log(`${target.label}: warm-up ${WARMUP_S} s`);
    await load(target.url, target.headers, WARMUP_S);
  }
  const acc = targets.map(() => ({
    raw: [] as RawResult[],
    app: 0,
    demo: 0,
    extra: 0,
    seconds: 0,
    rounds: [] as RoundFigures[],
  }));
  for (let round = 0; round < ROUNDS; round += 1) {
    const plan = targets.map((t) => `${t.label.split(' (')[0]} ${fmt(t.seconds / ROUNDS, 2)} s`).join(', ');
    log(`measuring, round ${round + 1}/${ROUNDS}: ${plan}`);
    for (let k = 0; k < targets.length; k += 1) {
      const i = (k + round) % targets.length;
      const target = targets[i] as Target;
      const slot = acc[i] as (typeof acc)[number];
      const [app0, demo0, extra0] = await Promise.all([
        cpuOf(target.app),
        cpuOf(target.demo),
        target.extraCpu?.() ?? 0,
      ]);
      const raw = await loadRaw(target.url, target.headers, target.seconds / ROUNDS);
      const [app1, demo1, extra1] = await Promise.all([
        cpuOf(target.app),
        cpuOf(target.demo),
        target.extraCpu?.() ?? 0,
      ]);
      slot.raw.push(raw);
      slot.app += app1 - app0;
      slot.demo += demo1 - demo0;
      slot.extra += extra1 - extra0;
      slot.seconds += raw.duration;
      const done = Math.max(raw.totalCompletedRequests, 1);
      slot.rounds.push({ rps: raw.totalCompletedRequests / raw.duration, appCpuUs: (app1 - app0) / done });
    }
  }
  return targets.map((target, i) => {
    const slot = acc[i] as (typeof acc)[number];
    const result = autocannon.aggregateResult(slot.raw, { url: target.url, connections: CONNECTIONS });
    const requests = slot.raw.reduce((sum, raw) => sum + raw.totalCompletedRequests, 0);
    const appCpu = target.noApp ? Number.NaN : slot.app;
    return {
      ...throughputOf(target.label, result, requests, slot.seconds, appCpu, slot.demo),
      rounds: slot.rounds,
      ...(target.extraCpu ? { extraCpuUs: slot.extra / requests } : {}),
    };
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `row`'s figure divided by `base`'s in the same round of {@link measureInterleaved}, round by round. */
export function sameRoundRatios(row: Throughput, base: Throughput, figure: 'rps' | 'appCpuUs'): number[] {
  const bases = base.rounds ?? [];
  return (row.rounds ?? []).map((r, i) => r[figure] / ((bases[i] as RoundFigures | undefined)?.[figure] || Number.NaN));
}

/**
 * Part 3 of the report (bench only): heap per session, from `heapUsed` of an
 * app process after `global.gc()`, before and after LOGINS real logins.
 */
import path from 'node:path';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { log } from './format.js';
import { login } from './login.js';
import {
  HEAP_SNAPSHOTS,
  LOGIN_BUDGET_MS,
  LOGIN_PARALLEL,
  LOGINS,
  MEMORY_WARMUP_LOGINS,
  WARMUP_LOGINS,
} from './options.js';
import type { BenchRedis } from './redis.js';
import type { AppInstance, Run } from './stack.js';

export interface MemoryResult {
  readonly logins: number;
  /** Warm-up logins done (fewer than MEMORY_WARMUP_LOGINS when the time budget ran out). */
  readonly warmupLogins: number;
  readonly failed: number;
  readonly seconds: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly rssDelta: number;
  readonly kibPerSession: number;
}

/** `count` real logins, LOGIN_PARALLEL at a time, until done, out of time, or failing. */
export async function runLogins(
  run: Run,
  instance: AppInstance,
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

/**
 * Heap per session of `instance` over LOGINS logins, after MEMORY_WARMUP_LOGINS warm-up logins.
 * With BENCH_HEAP_SNAPSHOTS set, B also writes a heap snapshot there after each reading
 * (`before.heapsnapshot`, `after.heapsnapshot`), to compare in Chrome DevTools' Memory tab.
 */
export async function memoryPerSession(run: Run, instance: AppInstance): Promise<MemoryResult> {
  type Mem = { heapUsed: number; rss: number };
  // Warm-up logins first: the first ones compile code and fill caches once (options.ts).
  const warmup = await runLogins(run, instance, MEMORY_WARMUP_LOGINS, LOGIN_BUDGET_MS, false);
  // Let the sockets of the earlier load close before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = await instance.child.call<Mem>('mem');
  await heapSnapshot(instance, 'before');
  const started = Date.now();
  log(
    `memory: ${LOGINS} logins through the provider, ${LOGIN_PARALLEL} at a time (at most ${LOGIN_BUDGET_MS / 1000} s)`,
  );
  const { done, failed } = await runLogins(run, instance, LOGINS, LOGIN_BUDGET_MS, true);
  const after = await instance.child.call<Mem>('mem');
  await heapSnapshot(instance, 'after');
  return {
    logins: done,
    warmupLogins: warmup.done,
    failed,
    seconds: (Date.now() - started) / 1000,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    rssDelta: after.rss - before.rss,
    kibPerSession: (after.heapUsed - before.heapUsed) / done / 1024,
  };
}

/** Writes a heap snapshot of `instance` into BENCH_HEAP_SNAPSHOTS, when it is set (after the heap reading). */
async function heapSnapshot(instance: AppInstance, name: string): Promise<void> {
  if (!HEAP_SNAPSHOTS) return;
  const file = path.resolve(HEAP_SNAPSHOTS, `${name}.heapsnapshot`);
  await instance.child.call('heapSnapshot', file, 180_000);
  log(`memory: heap snapshot ${file}`);
}

/** Bytes of Redis memory per login: `used_memory` before and after `count` logins on an instance using `redis`. */
export async function redisMemoryPerSession(
  run: Run,
  instance: AppInstance,
  redis: BenchRedis,
  count: number,
): Promise<{ logins: number; bytesPerSession: number }> {
  await runLogins(run, instance, WARMUP_LOGINS, 20_000, false);
  // The flow log is written in batches: let the last one land before each reading.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = await redis.usedMemory();
  log(`Redis memory: ${count} logins on ${instance.name}`);
  const { done } = await runLogins(run, instance, count, LOGIN_BUDGET_MS, false);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await redis.usedMemory();
  return { logins: done, bytesPerSession: (after - before) / done };
}

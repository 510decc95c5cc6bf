/**
 * `npm run bench -- --memory` (bench only): part 3 alone, heap per session on one
 * app process with the in-memory stores, printed and never written to the docs
 * (the figures section is one run of every part). About a minute instead of the
 * whole benchmark; with BENCH_HEAP_SNAPSHOTS=<folder>, B writes heap snapshots
 * before and after the measured logins (memory.ts; the RSS delta then counts
 * the snapshots' own memory).
 */
import type { Facts } from './docs-page.js';
import { log, table } from './format.js';
import { memoryPerSession } from './memory.js';
import { heapRows, loginsRow } from './report.js';
import { startRun, type AppInstance } from './stack.js';

export async function memoryMain(facts: Facts): Promise<void> {
  log('memory: starting A (provider + API) and B');
  const run = await startRun('memory', 3600, [{ name: 'app' }]);
  try {
    const memory = await memoryPerSession(run, run.instances[0] as AppInstance);
    const rows = [...heapRows(memory), loginsRow(memory)];
    console.log(`\n### Memory per session (${facts.date}, load ${facts.loadAverage})\n\n${table(['', ''], rows)}\n`);
  } finally {
    await run.stop();
  }
}

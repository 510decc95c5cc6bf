/**
 * `npm run bench -- --floor` (bench only): part 1's comparison with the floor and nothing else, for
 * trying a change to the /api path in about two minutes. The floor (P, a bare undici proxy), the app
 * in memory and the app on Redis (when `redis-server` is installed) are measured in alternating
 * rounds, and each app row is printed as the median of its same-round ratios to the floor. Nothing
 * is written to the docs: the full `npm run bench` does that.
 */
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import type { Facts } from './docs-page.js';
import { fmt, log, table } from './format.js';
import { measureInterleaved, median, sameRoundRatios, type Target, type Throughput } from './load.js';
import { apiHeaders, login } from './login.js';
import { MEASURE_S, ROUNDS } from './options.js';

/** Measured seconds per row: BENCH_SECONDS, else the main rows' length. */
const SECONDS = Number(process.env.BENCH_SECONDS) || MEASURE_S;
import { planRedis, startRedis, type BenchRedis } from './redis.js';
import { startFloor, startRun, stopChild } from './stack.js';

export async function floorMain(facts: Facts): Promise<void> {
  const redis: BenchRedis | undefined = planRedis().enabled ? await startRedis() : undefined;
  const run = await startRun('floor', 3600, [
    { name: 'app' },
    ...(redis ? [{ name: 'app-redis', redisUrl: redis.url }] : []),
  ]);
  try {
    const targets: Target[] = [];
    const demo = run.demo;
    let floorToken: string | null = null;
    for (const instance of run.instances) {
      const session = await login(run, instance, DEMO_ACCOUNTS[0] as DemoAccount);
      floorToken ??= await instance.child.call<string | null>('accessToken', session.sid);
      targets.push({
        label: instance.name,
        url: `${instance.loadOrigin}/api/me`,
        headers: apiHeaders(session),
        app: instance.child,
        demo,
        seconds: SECONDS,
        ...(instance.name === 'app-redis' && redis ? { extraCpu: () => redis.cpuMicros() } : {}),
      });
    }
    if (!floorToken) throw new Error('no access token for the logged-in session');
    const floor = await startFloor('floor', run, floorToken);
    targets.unshift({
      label: 'floor',
      url: floor.url,
      headers: {},
      app: floor.child,
      demo,
      seconds: SECONDS,
    });
    const [floorRow, ...rows] = (await measureInterleaved(targets)) as [Throughput, ...Throughput[]];
    await stopChild(floor.child);
    /** A row's median same-round ratio to the floor, and each round's. */
    const againstFloor = (row: Throughput, figure: 'rps' | 'appCpuUs'): [string, string] => {
      if (row === floorRow) return ['1', ''];
      const ratios = sameRoundRatios(row, floorRow, figure);
      return [median(ratios).toFixed(2), ratios.map((r) => r.toFixed(2)).join(' / ')];
    };
    console.log(
      `\n${facts.date}, load average ${facts.loadAverage}, ${ROUNDS} rounds of ${fmt(SECONDS / ROUNDS, 1)} s per row\n`,
    );
    console.log(
      table(
        [
          'row',
          'req/s',
          'app CPU µs/call',
          'CPU / floor (median)',
          'each round',
          'req/s / floor (median)',
          'each round',
        ],
        [floorRow, ...rows].map((row) => [
          row.label,
          fmt(row.rps),
          fmt(row.appCpuUs),
          ...againstFloor(row, 'appCpuUs'),
          ...againstFloor(row, 'rps'),
        ]),
      ),
    );
    const redisRow = rows.find((row) => row.extraCpuUs !== undefined);
    if (redisRow) log(`Redis server CPU per call: ${fmt(redisRow.extraCpuUs ?? 0)} µs`);
  } finally {
    await run.stop();
    await redis?.dispose();
  }
}

/**
 * `npm run bench -- --dpop` (bench only): the app's own added CPU per proxied DPoP call.
 *
 * Part 1 of `npm run bench` runs every row flat out, and there the DPoP row is slowed by the demo
 * API, which checks every proof in process A on the same two cores: the app then serves fewer
 * requests per second, and its per-call share of the event loop's fixed work (polling, timers,
 * writes that no longer coalesce) grows, which is not DPoP's cost. So here two app processes
 * (bearer, DPoP) are driven at the same fixed rate, in alternating rounds, and the added CPU is the
 * median of the same-round differences. On a shared machine that end-to-end figure is noisy, so
 * the judged figure is the app's DPoP-specific step measured alone in process C (dpop-costs.ts),
 * with the end-to-end difference as its check. Each app is then profiled at that rate: the
 * sampler counts wall time and the profiler costs CPU itself, so each area's share of the samples
 * is shown as µs of the app's unprofiled CPU per call at that rate. The saturated rows are
 * measured too, for comparison.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { measureDPoPCosts, type DPoPCosts } from './dpop-costs.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { fmt, log, table, verdict } from './format.js';
import type { BenchChild } from './ipc.js';
import { measureInterleaved, median, type Throughput } from './load.js';
import { apiHeaders, login, statusOf, type LoggedIn } from './login.js';
import { CONNECTIONS, QUICK, ROOT, WARMUP_S } from './options.js';
import { summarizeProfile } from './profile-summary.js';
import { startRun, tmp, type AppInstance } from './stack.js';

/** The target: what a proof per proxied call may add to the app's CPU. */
const TARGET_ADDED_US = 60;
/** Requests per second both apps get in the same-rate rounds: below what either serves on a busy 2-core machine. */
const RATE = Number(process.env.BENCH_DPOP_RATE ?? 200);
/** Rounds at that rate, seconds per row and round, and of each profile. */
const RATE_ROUNDS = 6;
const RATE_ROUND_S = QUICK ? 2 : 6;
const PROFILE_S = QUICK ? 4 : 12;
const SATURATED_S = QUICK ? 4 : 10;

/** CPU microseconds a child has used so far. */
async function cpuOf(child: BenchChild): Promise<number> {
  const usage = await child.call<{ user: number; system: number }>('cpu');
  return usage.user + usage.system;
}

/** `seconds` of `rate` requests per second on `url`; the completed requests and their non-2xx. */
async function atRate(url: string, headers: Record<string, string>, seconds: number) {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, overallRate: RATE, duration: seconds });
  return { requests: result.requests.total, bad: result.non2xx + result.errors + result.timeouts };
}

interface RateRow {
  readonly name: string;
  readonly app: AppInstance;
  readonly session: LoggedIn;
}

/** Per round, each row's app CPU µs per request at the same rate (rows alternate, order rotating). */
async function sameRateRounds(rows: readonly RateRow[]): Promise<{ cpuUs: number[][]; rps: number[]; bad: number }> {
  const cpuUs = rows.map(() => [] as number[]);
  const requests = rows.map(() => 0);
  let bad = 0;
  for (const row of rows) await atRate(`${row.app.loadOrigin}/api/me`, apiHeaders(row.session), WARMUP_S);
  for (let round = 0; round < RATE_ROUNDS; round += 1) {
    log(`same rate (${RATE} req/s), round ${round + 1}/${RATE_ROUNDS}`);
    for (let k = 0; k < rows.length; k += 1) {
      const i = (k + round) % rows.length;
      const row = rows[i] as RateRow;
      const before = await cpuOf(row.app.child);
      const done = await atRate(`${row.app.loadOrigin}/api/me`, apiHeaders(row.session), RATE_ROUND_S);
      const used = (await cpuOf(row.app.child)) - before;
      (cpuUs[i] as number[]).push(used / Math.max(done.requests, 1));
      requests[i] = (requests[i] as number) + done.requests;
      bad += done.bad;
    }
  }
  return { cpuUs, rps: requests.map((n) => n / (RATE_ROUNDS * RATE_ROUND_S)), bad };
}

/** One app's profile at the fixed rate: each area's share of the sampled busy time, and the window's CPU per request. */
interface RateProfile {
  readonly shareByArea: Map<string, number>;
  readonly cpuUs: number;
  readonly sampledUs: number;
}

async function profileAtRate(row: RateRow): Promise<RateProfile> {
  const file = path.join(tmp, `${row.name}.cpuprofile`);
  await row.app.child.call('profileStart', 250);
  const before = await cpuOf(row.app.child);
  const done = await atRate(`${row.app.loadOrigin}/api/me`, apiHeaders(row.session), PROFILE_S);
  const cpuUs = ((await cpuOf(row.app.child)) - before) / Math.max(done.requests, 1);
  await row.app.child.call('profileStop', file, 60_000);
  const summary = summarizeProfile(file, done.requests, ROOT, 1_000);
  return {
    shareByArea: new Map(summary.byArea.map((area) => [area.name, area.share])),
    cpuUs,
    sampledUs: summary.busyUsPerRequest,
  };
}

/** `npm run bench -- --dpop`: the app's added CPU per proxied DPoP call, and what it is made of. */
export async function dpopMain(facts: Facts): Promise<void> {
  const run = await startRun('dpop', 3600, [{ name: 'app' }, { name: 'app-dpop', env: { OIDC_DPOP: 'on' } }]);
  const [bearer, dpop] = (await Promise.all(
    run.instances.map(async (app) => ({
      name: app.name,
      app,
      session: await login(run, app, DEMO_ACCOUNTS[0] as DemoAccount),
    })),
  )) as [RateRow, RateRow];
  for (const row of [bearer, dpop]) {
    if ((await statusOf(`${row.app.loadOrigin}/api/me`, apiHeaders(row.session))) !== 200) {
      throw new Error(`sanity check: ${row.name} could not call /api/me`);
    }
  }
  const [bearerSaturated, dpopSaturated] = (await measureInterleaved(
    [bearer, dpop].map((row) => ({
      label: row.name,
      url: `${row.app.loadOrigin}/api/me`,
      headers: apiHeaders(row.session),
      app: row.app.child,
      demo: run.demo,
      seconds: SATURATED_S,
    })),
  )) as [Throughput, Throughput];
  const sameRate = await sameRateRounds([bearer, dpop]);
  log('profiling both apps at the same rate');
  const bearerProfile = await profileAtRate(bearer);
  const dpopProfile = await profileAtRate(dpop);
  await run.stop();
  const costs = await measureDPoPCosts();

  const text = renderDPoP(facts, { bearerSaturated, dpopSaturated, sameRate, bearerProfile, dpopProfile, costs });
  console.log(`\n${text}\n`);
  if (QUICK) log('--quick: figures not written to the docs');
  else writeDocSection('dpop', text);
}

interface DPoPReport {
  readonly bearerSaturated: Throughput;
  readonly dpopSaturated: Throughput;
  readonly sameRate: Awaited<ReturnType<typeof sameRateRounds>>;
  readonly bearerProfile: RateProfile;
  readonly dpopProfile: RateProfile;
  readonly costs: DPoPCosts;
}

function renderDPoP(facts: Facts, r: DPoPReport): string {
  const [bearerRounds = [], dpopRounds = []] = r.sameRate.cpuUs;
  const differences = dpopRounds.map((us, i) => us - (bearerRounds[i] ?? Number.NaN));
  const added = median(differences);
  const saturatedRounds = (r.dpopSaturated.rounds ?? []).map(
    (round, i) => round.appCpuUs - (r.bearerSaturated.rounds?.[i]?.appCpuUs ?? Number.NaN),
  );
  // Shares of the sampled time as µs of each app's unprofiled CPU per call at this rate.
  const asCpu = (profile: RateProfile, cpuUs: number) =>
    new Map([...profile.shareByArea].map(([area, share]) => [area, share * cpuUs]));
  const bearerAreas = asCpu(r.bearerProfile, median(bearerRounds));
  const dpopAreas = asCpu(r.dpopProfile, median(dpopRounds));
  const areas = [...new Set([...bearerAreas.keys(), ...dpopAreas.keys()])]
    .map((area) => {
      const b = bearerAreas.get(area) ?? 0;
      const d = dpopAreas.get(area) ?? 0;
      return { area, b, d, diff: d - b };
    })
    .filter((row) => Math.abs(row.diff) >= 2)
    .sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff))
    .slice(0, 10);
  const c = r.costs;
  return [
    `Measured ${facts.date} with \`npm run bench -- --dpop\` (scripts/bench/dpop.ts). Node ${facts.node}, CPU ${facts.cpu}, ${facts.cores} cores, load average at start ${facts.loadAverage}.`,
    '',
    `Two app processes (the build, \`NODE_ENV=production\`), one with \`OIDC_DPOP=on\`, each logged in once; proxied \`GET /api/me\` to the demo API, which checks every proof.`,
    '',
    table(
      [
        'Proxied `GET /api/me`',
        'bearer: app CPU µs/req',
        'DPoP: app CPU µs/req',
        'added per call (median of same-round differences)',
      ],
      [
        [
          `same rate, ${RATE} req/s, ${RATE_ROUNDS} rounds × ${RATE_ROUND_S} s each (served ${fmt(r.sameRate.rps[0] ?? 0)} and ${fmt(r.sameRate.rps[1] ?? 0)} req/s)`,
          fmt(median(bearerRounds)),
          fmt(median(dpopRounds)),
          `${fmt(added)} µs`,
        ],
        [
          `flat out, ${CONNECTIONS} connections (${fmt(r.bearerSaturated.rps)} and ${fmt(r.dpopSaturated.rps)} req/s)`,
          fmt(r.bearerSaturated.appCpuUs),
          fmt(r.dpopSaturated.appCpuUs),
          `${fmt(median(saturatedRounds))} µs (the DPoP app serves fewer calls per second: see above)`,
        ],
      ],
    ),
    '',
    `- **Added app CPU per proxied call: ${fmt(c.applyAddedUs)} µs** — ${verdict(c.applyAddedUs <= TARGET_ADDED_US, `≤ ${TARGET_ADDED_US} µs`)}: the DPoP-specific step measured alone (below; everything the proxy does differently for a DPoP-bound token except writing a request head about 700 bytes longer and collecting the proof's garbage). ` +
      `Its check end to end, at the same rate: median ${fmt(added)} µs, round by round ${differences.map((us) => `${fmt(us)}`).join(', ')} µs; non-2xx or errors: ${fmt(r.sameRate.bad)}.`,
    `- Demo API and provider (process A) flat out: ${fmt(r.bearerSaturated.demoCpuUs)} µs per bearer call, ${fmt(r.dpopSaturated.demoCpuUs)} µs per DPoP call (it checks each proof).`,
    '',
    "The app's DPoP work alone (process C, after the load runs; CPU µs per call), and what each of its choices buys:",
    '',
    table(
      ['Work', 'CPU µs', 'instead'],
      [
        [
          'the credential step, DPoP-bound token minus bearer token (`UpstreamCredentials.apply`: key look-up, nonce, proof)',
          fmt(c.applyAddedUs, 1),
          '—',
        ],
        [
          'one proof: node:crypto `sign` with the key object kept per login (src/dpop/dpop-key.ts)',
          fmt(c.proofUs, 1),
          `${fmt(c.joseProofUs, 1)} with jose's SignJWT through WebCrypto`,
        ],
        [
          'the key object, imported once per login and instance and then kept',
          '0',
          `${fmt(c.importUs)} to import the stored JWK on every call`,
        ],
        [
          "the proof header and the token's `ath`, encoded once per key and token",
          '0',
          `${fmt(c.reencodeUs, 1)} more per proof to encode them each time`,
        ],
        [
          'the upstream path and `htu`, cached per browser path (src/proxy/api-proxy.ts)',
          '0',
          `${fmt(c.targetUs, 1)} more per call to map and build them each time`,
        ],
      ],
    ),
    '',
    `Where the difference goes: V8 CPU profiles (250 µs sampling) of both apps at ${RATE} req/s for ${PROFILE_S} s. The sampler counts wall time (${fmt(r.bearerProfile.sampledUs)} and ${fmt(r.dpopProfile.sampledUs)} µs per call sampled; ${fmt(r.bearerProfile.cpuUs)} and ${fmt(r.dpopProfile.cpuUs)} µs of CPU by \`process.cpuUsage()\` in the same windows, profiler included), so each area's share of the samples is shown as µs of the app's unprofiled CPU per call at this rate (the medians above). Areas that changed by 2 µs or more:`,
    '',
    table(
      ['Area', 'bearer µs/req', 'DPoP µs/req', 'difference'],
      areas.map((row) => [row.area, fmt(row.b, 1), fmt(row.d, 1), `${row.diff > 0 ? '+' : ''}${fmt(row.diff, 1)}`]),
    ),
  ].join('\n');
}

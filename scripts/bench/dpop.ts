/**
 * DPoP (RFC 9449) in the benchmark (bench only).
 *
 * - `measureDPoPCosts`: what one proof costs in isolation, in this process while nothing else of
 *   the benchmark runs: signing one proof with a login's imported key, the way the proxy does per
 *   call (src/dpop/dpop-key.ts, node:crypto), the same proof made with jose's SignJWT for
 *   comparison, and importing a key from its stored record (what an instance does once per login,
 *   then keeps the key object).
 * - `npm run bench -- --dpop` (`dpopMain`): the app's own added CPU per proxied call. Part 1 of
 *   `npm run bench` runs every row flat out, and there the DPoP row is slowed by the demo API,
 *   which checks every proof in process A on the same two cores: the app then serves fewer
 *   requests per second, and its per-call share of the event loop's fixed work (polling, timers,
 *   writes that no longer coalesce) grows, which is not DPoP's cost. So here two app processes
 *   (bearer, DPoP) are driven at the same fixed rate, in alternating rounds, and the added CPU is
 *   the median of the same-round differences; then each is profiled at that rate, so the report
 *   says what the difference is made of. The saturated rows are measured too, for comparison.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { SignJWT, importJWK } from 'jose';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { DPoPKeys } from '../../src/dpop/dpop-key.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { fmt, log, table, verdict } from './format.js';
import type { BenchChild } from './ipc.js';
import { measureInterleaved, median, type Throughput } from './load.js';
import { apiHeaders, login, statusOf, type LoggedIn } from './login.js';
import { CONNECTIONS, QUICK, ROOT, ROUNDS, WARMUP_S } from './options.js';
import { summarizeProfile } from './profile-summary.js';
import { startRun, tmp, type AppInstance } from './stack.js';

export interface DPoPCosts {
  /** CPU µs to sign one proof with a key already imported (the app's way). */
  readonly proofUs: number;
  /** The same proof with jose's SignJWT and a WebCrypto key. */
  readonly joseProofUs: number;
  /** CPU µs to import a login's key from its JWK record. */
  readonly importUs: number;
}

/** The target: what a proof per proxied call may add to the app's CPU. */
const TARGET_ADDED_US = 60;
const PROOFS = 3_000;
const IMPORTS = 300;
const TOKEN = 'x'.repeat(900);
const HTU = 'http://127.0.0.1:3002/me';
/** Requests per second both apps get in the same-rate rounds: below what either serves on a busy 2-core machine. */
const RATE = Number(process.env.BENCH_DPOP_RATE ?? 200);
/** Seconds per row and round at that rate, and of each profile. */
const RATE_ROUND_S = QUICK ? 3 : 8;
const PROFILE_S = QUICK ? 4 : 12;
const SATURATED_S = QUICK ? 4 : 10;

async function cpuMicrosPer(count: number, work: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

export async function measureDPoPCosts(): Promise<DPoPCosts> {
  const key = await new DPoPKeys().create();
  const { d: _private, ...publicJwk } = key.record.jwk;
  const webCryptoKey = await importJWK(key.record.jwk, 'ES256');
  const joseProof = () =>
    new SignJWT({ htm: 'GET', htu: HTU, ath: 'x'.repeat(43) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(webCryptoKey);
  const appProof = () => key.proof('GET', HTU, TOKEN);
  await cpuMicrosPer(300, appProof);
  await cpuMicrosPer(300, joseProof);
  // Alternating halves, so a neighbour's load spike hits both alike.
  let proofUs = 0;
  let joseProofUs = 0;
  for (let round = 0; round < 2; round += 1) {
    proofUs += (await cpuMicrosPer(PROOFS / 2, appProof)) / 2;
    joseProofUs += (await cpuMicrosPer(PROOFS / 2, joseProof)) / 2;
  }
  // A fresh cache per import: every load is a real import.
  const importUs = await cpuMicrosPer(IMPORTS, () => new DPoPKeys().load(key.record));
  return { proofUs, joseProofUs, importUs };
}

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
  for (let round = 0; round < ROUNDS; round += 1) {
    log(`same rate (${RATE} req/s), round ${round + 1}/${ROUNDS}`);
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
  return { cpuUs, rps: requests.map((n) => n / (ROUNDS * RATE_ROUND_S)), bad };
}

/** µs per request by area of one app's profile at the fixed rate. */
async function profileAtRate(row: RateRow): Promise<Map<string, number>> {
  const file = path.join(tmp, `${row.name}.cpuprofile`);
  await row.app.child.call('profileStart', 250);
  const done = await atRate(`${row.app.loadOrigin}/api/me`, apiHeaders(row.session), PROFILE_S);
  await row.app.child.call('profileStop', file, 60_000);
  const summary = summarizeProfile(file, done.requests, ROOT, 1_000);
  return new Map(summary.byArea.map((area) => [area.name, area.usPerRequest]));
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
  readonly bearerProfile: Map<string, number>;
  readonly dpopProfile: Map<string, number>;
  readonly costs: DPoPCosts;
}

function renderDPoP(facts: Facts, r: DPoPReport): string {
  const [bearerRounds = [], dpopRounds = []] = r.sameRate.cpuUs;
  const differences = dpopRounds.map((us, i) => us - (bearerRounds[i] ?? Number.NaN));
  const added = median(differences);
  const saturatedRounds = (r.dpopSaturated.rounds ?? []).map(
    (round, i) => round.appCpuUs - (r.bearerSaturated.rounds?.[i]?.appCpuUs ?? Number.NaN),
  );
  const areas = [...new Set([...r.bearerProfile.keys(), ...r.dpopProfile.keys()])]
    .map((area) => {
      const b = r.bearerProfile.get(area) ?? 0;
      const d = r.dpopProfile.get(area) ?? 0;
      return { area, b, d, diff: d - b };
    })
    .filter((row) => Math.abs(row.diff) >= 2)
    .sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff))
    .slice(0, 10);
  const busy = (profile: Map<string, number>) => [...profile.values()].reduce((sum, us) => sum + us, 0);
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
          `same rate, ${RATE} req/s, ${ROUNDS} rounds × ${RATE_ROUND_S} s each (served ${fmt(r.sameRate.rps[0] ?? 0)} and ${fmt(r.sameRate.rps[1] ?? 0)} req/s)`,
          fmt(median(bearerRounds)),
          fmt(median(dpopRounds)),
          `**${fmt(added)} µs** — ${verdict(added <= TARGET_ADDED_US, `≤ ${TARGET_ADDED_US} µs`)}`,
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
    `- Same-rate differences round by round: ${differences.map((us) => `${fmt(us)} µs`).join(', ')}; non-2xx or errors: ${fmt(r.sameRate.bad)}.`,
    `- Demo API and provider (process A) flat out: ${fmt(r.bearerSaturated.demoCpuUs)} µs per bearer call, ${fmt(r.dpopSaturated.demoCpuUs)} µs per DPoP call (it checks each proof).`,
    `- One proof in isolation (process C): ${fmt(r.costs.proofUs)} µs signed the app's way (node:crypto, a key object kept per login, header and \`ath\` encoded once per key and token); ${fmt(r.costs.joseProofUs)} µs with jose's SignJWT through WebCrypto; importing a login's key from its stored JWK ${fmt(r.costs.importUs)} µs (once per login and instance, then kept).`,
    '',
    `Where the difference goes: V8 CPU profiles (250 µs sampling) of both apps at ${RATE} req/s for ${PROFILE_S} s; busy time ${fmt(busy(r.bearerProfile))} µs per bearer call, ${fmt(busy(r.dpopProfile))} µs per DPoP call (profiler overhead included). Areas whose share changed by 2 µs or more per call:`,
    '',
    table(
      ['Area', 'bearer µs/req', 'DPoP µs/req', 'difference'],
      areas.map((row) => [row.area, fmt(row.b, 1), fmt(row.d, 1), `${row.diff > 0 ? '+' : ''}${fmt(row.diff, 1)}`]),
    ),
  ].join('\n');
}

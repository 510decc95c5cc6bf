/**
 * Part 6 (bench; `npm run bench -- --several-apis` alone): one login, two user APIs. The app in B
 * fronts the demo API at `/api/` and a second demo API with its own audience at `/api/billing/`
 * (second-api.ts); the second API's token comes from a refresh-token grant that names it
 * (RFC 8707 §2.2 `resource`), and every grant of the login shares one rotating refresh token.
 *
 * - CPU per proxied call on each API (3600 s tokens, no refresh): `GET /api/me` and
 *   `GET /api/billing/me` on the same instance and session, in alternating rounds.
 * - A refresh storm over both APIs (STORM_TTL_S-second tokens, CONNECTIONS connections spread over
 *   the two URLs, one session, STORM_S seconds): right is exactly one grant per API per expiry,
 *   counted at the provider by the audience of the token each grant issued, no refused grant (a
 *   reused rotated refresh token would be refused), no failed call.
 */
import { DEMO_API_AUDIENCE } from '../../src/config/config.js';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { refreshMarginMs } from '../../src/tokens/refresh-margin.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { afterStatusesCell, fmt, statusCodesCell, log, table, verdict } from './format.js';
import { freePort } from './free-port.js';
import { load, measureInterleaved, median, sameRoundRatios, type Throughput } from './load.js';
import { apiHeaders, login, statusOf } from './login.js';
import { CONNECTIONS, MEASURE_S, QUICK, ROUNDS, STORM_S, STORM_TTL_S, WARMUP_S } from './options.js';
import { SECOND_API, SECOND_API_PORT_VARIABLE, secondApiAppEnv } from './second-api.js';
import { startRun, type AppInstance, type Run } from './stack.js';

const DEFAULT_PATH = '/api/me';
const SECOND_PATH = `/api/${SECOND_API.name}/me`;

type TokenInfo = { expiresAt: number; lifetimeSeconds: number } | null;
type Stats = {
  grants: Record<string, number>;
  grantErrors: Record<string, number>;
  grantErrorsByCode: Record<string, number>;
};

/** One API's grants in the storm. */
interface ApiGrants {
  readonly label: string;
  readonly grants: number;
  readonly expected: number;
}

interface SeveralApisStorm {
  readonly seconds: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly perApi: readonly ApiGrants[];
  readonly providerGrants: number;
  readonly providerGrantErrors: number;
  readonly grantErrorCodes: Record<string, number>;
  readonly appRefreshCount: number;
  readonly afterStatuses: readonly number[];
  readonly ok: boolean;
}

/** A run of A (with the second API) and one B fronting both APIs. */
async function startTwoApiRun(label: string, ttlSeconds: number): Promise<{ run: Run; app: AppInstance }> {
  const port = await freePort();
  const run = await startRun(label, ttlSeconds, [{ name: 'app-two-apis', env: secondApiAppEnv(port) }], {
    [SECOND_API_PORT_VARIABLE]: String(port),
  });
  return { run, app: run.instances[0] as AppInstance };
}

/** Logs in and calls both APIs once, so each has its token before anything is measured. */
async function loggedInOnBoth(run: Run, app: AppInstance, label: string) {
  const session = await login(run, app, DEMO_ACCOUNTS[0] as DemoAccount);
  const headers = apiHeaders(session);
  for (const path of [DEFAULT_PATH, SECOND_PATH]) {
    const status = await statusOf(`${app.loadOrigin}${path}`, headers);
    if (status !== 200) throw new Error(`${label}: ${path} answered ${status}`);
  }
  return { session, headers };
}

async function measureCpu(): Promise<[Throughput, Throughput]> {
  log('several APIs: starting A (provider, demo API, second API; 3600 s tokens) and B (two APIs)');
  const { run, app } = await startTwoApiRun('several-apis-cpu', 3600);
  try {
    const { headers } = await loggedInOnBoth(run, app, 'several APIs');
    const row = (label: string, path: string) => ({
      label,
      url: `${app.loadOrigin}${path}`,
      headers,
      app: app.child,
      demo: run.demo,
      seconds: MEASURE_S,
    });
    const [first, second] = await measureInterleaved([
      row(`proxied GET ${DEFAULT_PATH} (default API, token from the login)`, DEFAULT_PATH),
      row(`proxied GET ${SECOND_PATH} (named API, token from a grant naming it)`, SECOND_PATH),
    ]);
    return [first as Throughput, second as Throughput];
  } finally {
    await run.stop();
  }
}

/** Expiries of one token during [t0, t1]: the first at expiresAt − margin, then one per (lifetime − margin). */
function expectedGrants(info: NonNullable<TokenInfo>, t0: number, t1: number): number {
  const marginMs = refreshMarginMs(info.lifetimeSeconds, 'user');
  const periodMs = info.lifetimeSeconds * 1000 - marginMs;
  const firstDue = Math.max(info.expiresAt - marginMs, t0);
  return firstDue > t1 ? 0 : Math.floor((t1 - firstDue) / periodMs) + 1;
}

async function storm(): Promise<SeveralApisStorm> {
  log(`several APIs: starting A (${STORM_TTL_S} s tokens) and B (two APIs) for the storm`);
  const { run, app } = await startTwoApiRun('several-apis-storm', STORM_TTL_S);
  try {
    const { session, headers } = await loggedInOnBoth(run, app, 'several APIs storm');
    const sid = session.sid;
    const tokenInfo = () =>
      Promise.all([
        app.child.call<TokenInfo>('tokenInfo', sid),
        app.child.call<TokenInfo>('apiTokenInfo', { sessionId: sid, api: SECOND_API.name }),
      ]);
    await run.demo.call('resetStats');
    const count0 = await app.child.call<number>('refreshCount');
    const [default0, second0] = await tokenInfo();
    if (!default0 || !second0) throw new Error('several APIs storm: the session lacks a token for one of the APIs');

    log(
      `several APIs storm: ${CONNECTIONS} connections over ${DEFAULT_PATH} and ${SECOND_PATH}, ONE session, ${STORM_S} s`,
    );
    const t0 = Date.now();
    const result = await load(
      [DEFAULT_PATH, SECOND_PATH].map((path) => `${app.loadOrigin}${path}`),
      headers,
      STORM_S,
    );
    const t1 = Date.now();

    const { byAudience, stats } = await run.demo.call<{ byAudience: Record<string, number>; stats: Stats }>(
      'refreshGrants',
    );
    const count1 = await app.child.call<number>('refreshCount');
    const afterStatuses = await Promise.all(
      [DEFAULT_PATH, SECOND_PATH].map((path) => statusOf(`${app.loadOrigin}${path}`, headers)),
    );
    const perApi: ApiGrants[] = [
      {
        label: `default (\`${DEFAULT_PATH}\`, aud \`${DEMO_API_AUDIENCE}\`)`,
        grants: byAudience[DEMO_API_AUDIENCE] ?? 0,
        expected: expectedGrants(default0, t0, t1),
      },
      {
        label: `${SECOND_API.name} (\`${SECOND_PATH}\`, aud \`${SECOND_API.audience}\`)`,
        grants: byAudience[SECOND_API.audience] ?? 0,
        expected: expectedGrants(second0, t0, t1),
      },
    ];
    const providerGrants = stats.grants['refresh_token'] ?? 0;
    const providerGrantErrors = stats.grantErrors['refresh_token'] ?? 0;
    const non2xx = result.non2xx;
    const errors = result.errors + result.timeouts;
    return {
      seconds: (t1 - t0) / 1000,
      requests: result.requests.total,
      non2xx,
      errors,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
      perApi,
      providerGrants,
      providerGrantErrors,
      grantErrorCodes: stats.grantErrorsByCode,
      appRefreshCount: count1 - count0,
      afterStatuses,
      ok:
        providerGrantErrors === 0 &&
        perApi.every((api) => Math.abs(api.grants - api.expected) <= 1) &&
        providerGrants === perApi.reduce((sum, api) => sum + api.grants, 0) &&
        non2xx === 0 &&
        errors === 0 &&
        afterStatuses.every((status) => status === 200),
    };
  } finally {
    await run.stop();
  }
}

function render(facts: Facts, [first, second]: [Throughput, Throughput], s: SeveralApisStorm): string {
  const ratios = sameRoundRatios(second, first, 'appCpuUs');
  const margin = refreshMarginMs(STORM_TTL_S, 'user') / 1000;
  return [
    `Measured ${facts.date} with \`npm run bench\` (scripts/bench/several-apis.ts). Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores, load average at start ${facts.loadAverage}. ` +
      `B is the build, as \`npm run start:prod\` runs it, with a second user API configured (\`API_BILLING_BASE_URL\`, \`API_BILLING_RESOURCE\`, \`API_BILLING_SCOPE\`), served by a second demo API in A with its own audience.`,
    '',
    `#### CPU per proxied call, per API (3600 s tokens; ${WARMUP_S} s warm-up, ${MEASURE_S} s per row in ${ROUNDS} alternating rounds, one session)`,
    '',
    table(
      [
        'Proxied call',
        'req/s',
        'p50 ms',
        'p99 ms',
        'app (B) CPU µs/call',
        'provider+APIs (A) CPU µs/call',
        'non-2xx / errors',
      ],
      [first, second].map((t) => [
        t.label,
        fmt(t.rps),
        fmt(t.p50, 1),
        fmt(t.p99, 1),
        fmt(t.appCpuUs),
        fmt(t.demoCpuUs),
        `${t.non2xx} / ${t.errors}`,
      ]),
    ),
    '',
    `- Named API / default API, app CPU per call: **${median(ratios).toFixed(2)}×** (median of the same-round ratios; each round: ${ratios.map((r) => r.toFixed(2)).join(' / ')}).`,
    '',
    `#### Refresh storm over both APIs (${STORM_TTL_S} s tokens, ${CONNECTIONS} connections spread over the two URLs, one session, ${fmt(s.seconds, 1)} s)`,
    '',
    table(
      ['API', 'Refresh grants at the provider for its audience', 'Expected (one per expiry, ±1 at the edges)'],
      s.perApi.map((api) => [api.label, String(api.grants), String(api.expected)]),
    ),
    '',
    table(
      ['', ''],
      [
        [
          'Refresh grants at the provider (both APIs)',
          `${s.providerGrants} (${s.providerGrantErrors} refused${s.providerGrantErrors ? `: ${JSON.stringify(s.grantErrorCodes)}` : ''})`,
        ],
        ['Refresh grants sent by the app (TokenService.refreshCount)', String(s.appRefreshCount)],
        ['Requests / non-2xx / errors', `${fmt(s.requests)} / ${s.non2xx} / ${s.errors}`],
        ['Status codes', statusCodesCell(s.statusCodes)],
        ['Both APIs work afterwards', afterStatusesCell(s.afterStatuses)],
        [
          'Verdict',
          verdict(
            s.ok,
            'exactly one refresh grant per API per expiry, none refused (the rotated refresh token is never reused), zero failed calls',
          ),
        ],
      ],
    ),
    '',
    `- Expected per API ≈ ${STORM_S} s / (${STORM_TTL_S} s − ${margin} s skew), from that API's own token at the start. The provider rotates the refresh token on every grant and refuses a reused one, so zero refused grants means every grant, whichever API it was for, used the newest refresh token.`,
  ].join('\n');
}

/** Part 6: measures, prints, and writes the several-APIs section of docs/benchmark.md (not with --quick). */
export async function severalApisMain(facts: Facts): Promise<void> {
  const rows = await measureCpu();
  const stormResult = await storm();
  const text = render(facts, rows, stormResult);
  console.log(`\n${text}\n`);
  if (QUICK) log('--quick: several-APIs figures not written to the docs');
  else {
    writeDocSection('several-apis', text);
    log('several-APIs figures written to docs/benchmark.md');
  }
  if (!stormResult.ok) log('several APIs: storm MISSED its target (see the table)');
}

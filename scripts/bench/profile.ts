/**
 * `npm run bench -- --profile` (bench only): a V8 CPU profile of the app
 * process during proxied `GET /api/me` load, summarised by purpose, package
 * and function (profile-summary.ts) into docs/benchmark.md.
 */
import path from 'node:path';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { fmt, table } from './format.js';
import { measure, type Throughput } from './load.js';
import { apiHeaders, login } from './login.js';
import { DOC, MEASURE_S, ON_REDIS, QUICK, ROOT } from './options.js';
import { startRedis } from './redis.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';
import { startRun, tmp, type AppInstance } from './stack.js';

/** Profiles the app under load; writes the profile section unless --quick. */
export async function profileMain(facts: Facts): Promise<void> {
  const redis = ON_REDIS ? await startRedis() : undefined;
  const run = await startRun('profile', 3600, [{ name: 'app', ...(redis ? { redisUrl: redis.url } : {}) }]);
  const app = run.instances[0] as AppInstance;
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
  await redis?.dispose();
  const summary = summarizeProfile(file, throughput.requests, ROOT);
  const text = renderProfile(facts, throughput, summary);
  console.log(`\n${text}\n`);
  if (!QUICK) writeDocSection(ON_REDIS ? 'profile-redis' : 'profile', text);
  console.log(`profile kept in ${file} (open it in Chrome DevTools); summary in ${path.relative(ROOT, DOC)}`);
}

function renderProfile(facts: Facts, throughput: Throughput, summary: ProfileSummary): string {
  const rows = (list: ProfileSummary['byArea']) =>
    list.map((row) => [row.name.replace(/\|/g, '\\|'), fmt(row.usPerRequest, 1), `${(row.share * 100).toFixed(1)} %`]);
  const sections: Array<[string, string, ProfileSummary['byArea']]> = [
    [
      'Where the time goes, by purpose. Each sample is charged to the nearest package or src/ frame above it: native code and Node internals ' +
        '(crypto, JSON, events) count for their caller, except HTTP/socket/stream work, which is "node core" even when a package wrapped `res.end`:',
      'Purpose',
      summary.byPurpose,
    ],
    ['By package / file:', 'Area', summary.byArea],
    ['Top functions, with the native and Node-internal work they call:', 'Function', summary.topAttributed],
    ['Top self time (leaf functions):', 'Function', summary.topSelf],
  ];
  return [
    `Profiled ${facts.date} with \`npm run bench -- --profile${ON_REDIS ? ' --redis' : ''}\`: V8 sampling profiler (250 µs) in process B${ON_REDIS ? ' (sessions, tokens and counters in Redis)' : ''} during ${MEASURE_S} s of proxied \`GET /api/me\` ` +
      `(${fmt(throughput.requests)} requests, ${fmt(throughput.rps)} req/s, ${fmt(throughput.appCpuUs)} µs CPU/request by \`process.cpuUsage()\`, profiler overhead included). ` +
      `Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores.`,
    '',
    `Busy time in the profile: ${fmt(summary.busyMs)} ms = ${fmt(summary.busyUsPerRequest)} µs per request (main thread only: GC helpers and I/O threads are not sampled).`,
    '',
    ...sections.flatMap(([intro, column, list]) => [
      intro,
      '',
      table([column, 'µs/request', 'share of busy'], rows(list)),
      '',
    ]),
  ]
    .join('\n')
    .trimEnd();
}

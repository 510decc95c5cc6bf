/**
 * `npm run bench -- --layers` (bench only): what each layer of the app adds to
 * a proxied `GET /api/me`. Process L (layers-process.ts) serves the pipeline
 * rebuilt one layer at a time, each on its own port; every variant is
 * measured in the same alternating rounds.
 */
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { fmt, table } from './format.js';
import { measureInterleaved, type Target, type Throughput } from './load.js';
import { apiHeaders, login } from './login.js';
import { CONNECTIONS, LAYER_S, QUICK, ROUNDS, WARMUP_S } from './options.js';
import { startRun, type AppInstance } from './stack.js';

/** Measures every layer variant; writes the layers section unless --quick. */
export async function layersMain(facts: Facts): Promise<void> {
  const run = await startRun('layers', 3600, [{ name: 'layers', script: 'layers-process.ts' }]);
  const server = run.instances[0] as AppInstance;
  const ports = server.info.ports as Record<string, number>;
  const order = server.info.order as string[];
  const session = await login(run, server, DEMO_ACCOUNTS[0] as DemoAccount);
  await server.child.call('setSession', session.sid);
  const slim = await server.child.call<{ cookie: string; fullJsonLength: number; slimJsonLength: number }>(
    'slimSession',
  );
  const targets: Target[] = order.map((name) => ({
    label: name,
    url: `http://127.0.0.1:${String(ports[name])}/api/me`,
    headers: name.includes('slim session') ? { ...apiHeaders(session), cookie: slim.cookie } : apiHeaders(session),
    app: server.child,
    demo: run.demo,
    seconds: LAYER_S,
  }));
  const results = await measureInterleaved(targets);
  await run.stop();
  const rows = results.map((result, i) => {
    let base = i - 1;
    while (base >= 0 && (order[base] ?? '').startsWith('  ')) base -= 1;
    const delta = base >= 0 ? result.appCpuUs - (results[base] as Throughput).appCpuUs : Number.NaN;
    return [
      result.label.startsWith('  ') ? `&nbsp;&nbsp;${result.label.trim()}` : result.label,
      fmt(result.rps),
      fmt(result.p50, 1),
      fmt(result.appCpuUs),
      Number.isNaN(delta) ? '—' : `${delta >= 0 ? '+' : ''}${fmt(delta)}`,
      `${result.non2xx} / ${result.errors}`,
    ];
  });
  const text = [
    `Measured ${facts.date} with \`npm run bench -- --layers\` (scripts/bench/layers.ts). Node ${facts.node}, ${facts.cpu}, ${facts.cores} cores, ` +
      `load average at start ${facts.loadAverage}. Every row is a proxied \`GET /api/me\` on the same logged-in session, ${CONNECTIONS} connections, ` +
      `${WARMUP_S} s warm-up, ${LAYER_S} s measured in ${ROUNDS} alternating rounds, all variants in one process (L) next to the provider and API (A).`,
    '',
    table(['Pipeline', 'req/s', 'p50 ms', 'CPU µs/req', 'Δ µs vs the row it builds on', 'non-2xx / errors'], rows),
    '',
    `Rows starting with "+" add one layer to the row above; indented rows vary the express-session row. The slim session record is ` +
      `${slim.slimJsonLength} JSON characters instead of ${slim.fullJsonLength} (no ID-token claims, no login trace). The pipeline is rebuilt by hand ` +
      'from the app\'s own middleware; the gap to the "full app" row is what is not rebuilt (health and static routes, page locals, absolute timeout, 404 handler).',
  ].join('\n');
  console.log(`\n${text}\n`);
  if (!QUICK) writeDocSection('layers', text);
}

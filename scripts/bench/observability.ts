/**
 * Part 5 of the benchmark (bench only): what metrics and traces cost the app.
 * Four app processes (B) in front of one provider + API (A), built alike but for:
 *
 *   default     METRICS_PORT and OTEL_EXPORTER_OTLP_ENDPOINT unset, as `npm start`. The
 *               counters are still recorded in memory: src/ records them whether or not a
 *               listener exposes them, like prom-client's own default registry.
 *   unrecorded  the same, with prom-client's inc/observe made no-ops
 *               (BENCH_METRICS_RECORDING=off, app-process.ts): what that recording costs.
 *   metrics     METRICS_PORT set (default process metrics too) and /metrics scraped
 *               every second, where Prometheus scrapes every 15–60 s: an upper bound.
 *   tracing     OTEL_EXPORTER_OTLP_ENDPOINT set: every call traced, spans exported over
 *               OTLP/HTTP to a receiver in this process (C) that reads and drops them.
 *
 * Proxied `GET /api/me` on one logged-in session per instance, measured in the same
 * alternating rounds as part 1 (measureInterleaved); each variant is reported as a ratio
 * to the default row of the same round, so the machine's load moves both sides alike.
 * The recording alone is far below that noise, so it is also timed in a tight loop here:
 * `recordProxied`, the one recording on the proxied path (a counter and a histogram).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { recordProxied } from '../../src/observability/metrics.js';
import { writeDocSection, type Facts } from './docs-page.js';
import { fmt, log, table } from './format.js';
import { freePort } from './free-port.js';
import { measureInterleaved, median, sameRoundRatios, type Throughput } from './load.js';
import { apiHeaders, login } from './login.js';
import { CONNECTIONS, OBSERVABILITY_S, QUICK, ROUNDS, WARMUP_S } from './options.js';
import { startRun, type AppInstance } from './stack.js';

const SCRAPE_INTERVAL_MS = 1_000;

/** An OTLP/HTTP receiver that reads every export and drops it. */
async function startSpanSink(): Promise<{ endpoint: string; exports: () => number; close(): void }> {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    close: () => server.close(),
  };
}

/** Fetches `url` every second, as a (very eager) Prometheus would. */
function scrapeEverySecond(url: string): { scrapes: () => number; stop(): void } {
  let scrapes = 0;
  const timer = setInterval(() => {
    fetch(url, { signal: AbortSignal.timeout(5_000) })
      .then((res) => res.text())
      .then(
        () => (scrapes += 1),
        () => undefined,
      );
  }, SCRAPE_INTERVAL_MS);
  return { scrapes: () => scrapes, stop: () => clearInterval(timer) };
}

/** CPU µs of one `recordProxied` call, the best of three loops of 200,000 (in this process, C). */
function recordingMicroseconds(): number {
  const calls = 200_000;
  let best = Number.POSITIVE_INFINITY;
  for (let loop = 0; loop < 3; loop += 1) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i += 1) recordProxied('GET', 200, 0.012);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / calls);
  }
  return best;
}

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly env: Record<string, string>;
}

/** Measures the four variants and writes the observability section of docs/benchmark.md (unless --quick). */
export async function observabilityMain(facts: Facts): Promise<void> {
  const sink = await startSpanSink();
  const variants: Variant[] = [
    { name: 'default', label: 'default: no METRICS_PORT, no tracing', env: {} },
    {
      name: 'unrecorded',
      label: 'metrics not even recorded (bench-only switch)',
      env: { BENCH_METRICS_RECORDING: 'off' },
    },
    {
      name: 'metrics',
      label: `METRICS_PORT set, scraped every ${SCRAPE_INTERVAL_MS / 1000} s`,
      env: { METRICS_PORT: String(await freePort()) },
    },
    {
      name: 'tracing',
      label: 'OTEL_EXPORTER_OTLP_ENDPOINT set (every call traced)',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint },
    },
  ];
  log('observability: starting A and one B per variant');
  const run = await startRun(
    'observability',
    3600,
    variants.map((v) => ({ name: v.name, env: v.env })),
  );
  const instances = run.instances as readonly AppInstance[];
  const metricsInstance = instances[2] as AppInstance;
  const scraper = scrapeEverySecond(`http://127.0.0.1:${String(metricsInstance.info.metricsPort)}/metrics`);
  let results: Throughput[];
  try {
    const targets = [];
    for (const [i, instance] of instances.entries()) {
      const session = await login(run, instance, DEMO_ACCOUNTS[0] as DemoAccount);
      targets.push({
        label: (variants[i] as Variant).label,
        url: `${instance.loadOrigin}/api/me`,
        headers: apiHeaders(session),
        app: instance.child,
        demo: run.demo,
        seconds: OBSERVABILITY_S,
      });
    }
    results = await measureInterleaved(targets);
  } finally {
    scraper.stop();
    await run.stop();
    sink.close();
  }
  const text = renderObservability(facts, results, {
    scrapes: scraper.scrapes(),
    spanExports: sink.exports(),
    recordingUs: recordingMicroseconds(),
  });
  console.log(`\n${text}\n`);
  if (QUICK) log('--quick: observability figures not written to the docs');
  else writeDocSection('observability', text);
}

/** App CPU of `row` against `base`, round by round, as "a / b / c". */
function roundRatios(row: Throughput, base: Throughput): string {
  return sameRoundRatios(row, base, 'appCpuUs')
    .map((ratio) => ratio.toFixed(2))
    .join(' / ');
}

function renderObservability(
  facts: Facts,
  results: readonly Throughput[],
  counts: { scrapes: number; spanExports: number; recordingUs: number },
): string {
  const base = results[0] as Throughput;
  const [, unrecorded, metrics, tracing] = results as [Throughput, Throughput, Throughput, Throughput];
  const rows = results.map((r, i) => [
    r.label,
    fmt(r.rps),
    fmt(r.p50, 1),
    fmt(r.p99, 1),
    fmt(r.appCpuUs),
    i === 0 ? '1' : (r.appCpuUs / base.appCpuUs).toFixed(2),
    i === 0 ? '1' : median(sameRoundRatios(r, base, 'appCpuUs')).toFixed(2),
    i === 0 ? '—' : roundRatios(r, base),
    `${r.non2xx} / ${r.errors}`,
  ]);
  const extra = (r: Throughput): string => fmt(r.appCpuUs - base.appCpuUs);
  return [
    `Measured ${facts.date} with \`npm run bench\` (scripts/bench/observability.ts). Node ${facts.node}, ${facts.cpu}, ` +
      `${facts.cores} cores, load average at start ${facts.loadAverage}. Proxied \`GET /api/me\` on one logged-in session ` +
      `per app process, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up, ${OBSERVABILITY_S} s measured per row in ${ROUNDS} ` +
      'rounds that alternate the rows. Ratios are app CPU per call against the default row; the per-round ones come from ' +
      'the same round, so a neighbour’s load spike moves both sides alike.',
    '',
    table(
      [
        'App process (B)',
        'req/s',
        'p50 ms',
        'p99 ms',
        'app CPU µs/call',
        'vs default',
        'vs default, median of rounds',
        'vs default, each round',
        'non-2xx / errors',
      ],
      rows,
    ),
    '',
    `- Recording the metrics (always on): default − unrecorded = ${fmt(base.appCpuUs - unrecorded.appCpuUs)} µs per call, inside the ` +
      `noise; timed alone in a tight loop, the proxied path's recording (\`recordProxied\`: a counter and a histogram) ` +
      `costs ${counts.recordingUs.toFixed(2)} µs per call.`,
    `- Exposing them: ${extra(metrics)} µs per call more than default, with ${fmt(counts.scrapes)} scrapes during the part ` +
      '(default process metrics and the event-loop delay monitor included).',
    `- Tracing every call: ${extra(tracing)} µs per call more than default; ${fmt(counts.spanExports)} OTLP exports received.`,
  ].join('\n');
}

/**
 * The figures section of docs/benchmark.md (bench only): the tables of parts
 * 1–4 and the comparison with the reference figures, from one run's results.
 */
import os from 'node:os';
import { refreshMarginMs } from '../../src/tokens/refresh-margin.js';
import type { Facts } from './docs-page.js';
import { afterStatusesCell, fmt, statusCodesCell, table, verdict } from './format.js';
import { median, sameRoundRatios, type Throughput } from './load.js';
import type { MemoryResult } from './memory.js';
import {
  APP_CODE,
  BENCH_LOG_LEVEL,
  CALIBRATION_S,
  CONNECTIONS,
  LOGINS,
  MEASURE_S,
  ROUNDS,
  STORM_S,
  STORM_TTL_S,
  WARMUP_S,
} from './options.js';
import type { StormResult } from './refresh-storm.js';
import type { DPoPCosts } from './dpop-costs.js';

/** The same measurement of two other BFFs on this kind of machine. */
const REFERENCE = {
  apache: { name: 'Apache + mod_auth_openidc', share: 0.63, cpuUs: 270, kib: 23 },
  eoc: { name: 'express-openid-connect + http-proxy-middleware', share: 0.33, cpuUs: 630, kib: 78 },
};
export const TARGET = { share: 0.7, defectShare: 0.5, cpuUs: 200, kib: 4, dpopAddedUs: 60 };

/**
 * Against the floor (a bare proxy with one fixed token, process P): the most a session-checking proxy can
 * cost in CPU and keep of its throughput, per store, as medians of same-round ratios.
 */
const FLOOR_TARGET = {
  memory: { cpu: 1.2, rps: 0.95 },
  redis: { cpu: 1.5, rps: 0.85 },
};

/** Median over rounds of `row`'s figure divided by the floor's in the same round. */
function floorRatio(row: Throughput, floor: Throughput, figure: 'rps' | 'appCpuUs'): number {
  return median(sameRoundRatios(row, floor, figure));
}

function floorRows(r: Report): string[][] {
  const rows: Array<[string, Throughput, { cpu: number; rps: number }]> = [
    ['in-memory store', r.proxied, FLOOR_TARGET.memory],
  ];
  if (r.redisProxied) rows.push(['Redis store', r.redisProxied, FLOOR_TARGET.redis]);
  if (r.redisUncached) rows.push(['Redis store, `REDIS_CLIENT_CACHE=off`', r.redisUncached, FLOOR_TARGET.redis]);
  return rows.map(([name, row, target]) => {
    const cpu = floorRatio(row, r.floor, 'appCpuUs');
    const rps = floorRatio(row, r.floor, 'rps');
    return [
      name,
      `**${cpu.toFixed(2)}×** — ${verdict(cpu <= target.cpu, `≤ ${target.cpu}×`)}`,
      `**${rps.toFixed(2)}×** — ${verdict(rps >= target.rps, `≥ ${target.rps}×`)}`,
      `${fmt(row.p50, 1)} vs ${fmt(r.floor.p50, 1)}`,
      row.extraCpuUs === undefined ? '—' : `${fmt(row.extraCpuUs)} µs`,
    ];
  });
}

function throughputRow(t: Throughput, appColumn = true): string[] {
  return [
    t.label,
    fmt(t.rps),
    fmt(t.p50, 1),
    fmt(t.p99, 1),
    appColumn ? fmt(t.appCpuUs) : '—',
    fmt(t.demoCpuUs),
    `${t.non2xx} / ${t.errors}`,
  ];
}

function stormRows(s: StormResult): string[][] {
  return [
    [
      'Refresh grants at the provider',
      `${s.refreshGrants} (${s.refreshGrantErrors} refused${s.refreshGrantErrors ? `: ${JSON.stringify(s.grantErrorCodes)}` : ''})`,
    ],
    [
      'Expected (one per expiry)',
      `${s.expected} (≈ ${STORM_S} s / (${STORM_TTL_S} s − ${refreshMarginMs(STORM_TTL_S, 'user') / 1000} s skew), ±1 at the edges)`,
    ],
    ['New token versions stored', String(s.versionsAdvanced)],
    ['Refresh grants sent by the app (TokenService.refreshCount)', String(s.appRefreshCount)],
    ['Requests / non-2xx / errors', `${fmt(s.requests)} / ${s.non2xx} / ${s.errors}`],
    ['Status codes', statusCodesCell(s.statusCodes)],
    ['Session works afterwards', afterStatusesCell(s.afterStatuses)],
    ['Verdict', verdict(s.ok, 'exactly one refresh grant per expiry, zero failed calls, live session')],
  ];
}

/** Everything part 1–4 measured. */
export interface Report {
  facts: Facts;
  calibration: Throughput;
  floor: Throughput;
  direct: Throughput;
  proxied: Throughput;
  redisProxied?: Throughput;
  redisUncached?: Throughput;
  dpopProxied: Throughput;
  dpopCosts: DPoPCosts;
  records: {
    sessionJsonLength: number | null;
    tokenJsonLength: number | null;
    flowLogJsonLength: number;
    flowLogEvents: number;
  };
  memory: MemoryResult;
  redisMemory?: { logins: number; bytesPerSession: number };
  storm: StormResult;
  redisStorm?: StormResult;
  redisNote?: string;
  durationS: number;
}

/** The figures section, in Markdown. */
/** Part 3's heap rows (the full report and `--memory` alike). */
export function heapRows(memory: MemoryResult): string[][] {
  const ok = memory.kibPerSession <= TARGET.kib;
  return [
    [
      'heapUsed before → after',
      `${fmt(memory.heapBefore / 1048576, 1)} MiB → ${fmt(memory.heapAfter / 1048576, 1)} MiB`,
    ],
    ['Per session', `**${fmt(memory.kibPerSession, 2)} KiB** — ${verdict(ok, `≤ ${TARGET.kib} KiB`)}`],
    ['RSS delta (informational)', `${fmt(memory.rssDelta / 1048576, 1)} MiB`],
  ];
}

/** Part 3's row saying how many logins the figure rests on. */
export function loginsRow(memory: MemoryResult): string[] {
  return [
    'Logins (failed) / time',
    `${fmt(memory.logins)} of ${fmt(LOGINS)} planned (${memory.failed} failed) in ${fmt(memory.seconds, 1)} s, after ${fmt(memory.warmupLogins)} warm-up logins`,
  ];
}

export function renderReport(r: Report): string {
  const share = r.proxied.rps / r.direct.rps;
  const shareVerdict =
    share >= TARGET.share
      ? `OK (target ≥ ${TARGET.share})`
      : share < TARGET.defectShare
        ? `MISSED — DEFECT (< ${TARGET.defectShare})`
        : `MISSED (target ≥ ${TARGET.share})`;
  const cpuOk = r.proxied.appCpuUs <= TARGET.cpuUs;
  const memOk = r.memory.kibPerSession <= TARGET.kib;
  const lines: string[] = [];
  lines.push(
    `Measured ${r.facts.date} with \`npm run bench\` (scripts/bench/main.ts, ${fmt(r.durationS)} s). ` +
      `Node ${r.facts.node}, CPU ${r.facts.cpu}, ${r.facts.cores} cores, load average (1/5/15 min) at start ${r.facts.loadAverage}, at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ')}. ` +
      'A shared, noisy machine: compare the ratios, not the absolute numbers.',
    '',
    'Processes: **A** the embedded provider and demo API, **B** the app (' +
      (APP_CODE === 'dist'
        ? 'the build, as `npm run start:prod` runs it: `NODE_ENV=production`, the provider in A configured as a real one'
        : 'the TypeScript sources through tsx, as `npm start`') +
      ', `LOG_LEVEL=' +
      BENCH_LOG_LEVEL +
      '`, logs to a file), **C** the load generator (autocannon, 50 connections, keep-alive, pipelining 1), and for one row ' +
      '**P** a bare undici proxy with one fixed token (scripts/bench/floor-process.ts). All share the same 2 cores, so the load generator takes CPU from the servers in every row. ' +
      "CPU per request is the process's `process.cpuUsage()` delta over the measured window divided by the completed requests.",
    '',
    `### 1. Throughput: \`GET /me\` directly with a bearer token vs through \`/api/me\``,
    '',
    `Each row: ${WARMUP_S} s warm-up, then ${MEASURE_S} s measured (the bare server ${CALIBRATION_S} s) in ${ROUNDS} rounds that alternate the rows, ` +
      "so a neighbour's load spike hits every row alike. Access tokens live 3600 s here: no refresh during this part.",
    '',
    table(
      ['Call', 'req/s', 'p50 ms', 'p99 ms', 'app (B) CPU µs/req', 'provider+API (A) CPU µs/req', 'non-2xx / errors'],
      [
        throughputRow(r.calibration, false),
        throughputRow(r.direct),
        throughputRow(r.floor),
        throughputRow(r.proxied),
        throughputRow(r.dpopProxied),
        ...(r.redisProxied ? [throughputRow(r.redisProxied)] : []),
        ...(r.redisUncached ? [throughputRow(r.redisUncached)] : []),
      ],
    ),
    '',
    `- Calibration: a bare Node \`http\` server (in A, ${CALIBRATION_S} s) costs **${fmt(r.calibration.demoCpuUs)} µs** of CPU per request on this machine at this moment; ` +
      `the app's proxied request costs **${(r.proxied.appCpuUs / r.calibration.demoCpuUs).toFixed(0)}×** that, the demo API's JWT-checked \`/me\` ${(r.direct.demoCpuUs / r.calibration.demoCpuUs).toFixed(0)}×.`,
    `- Proxied / direct throughput: **${share.toFixed(2)}** — ${shareVerdict}`,
    `- Floor: a bare undici proxy (one fixed token, no session, logging or headers; process P, ${MEASURE_S} s) keeps **${(r.floor.rps / r.direct.rps).toFixed(2)}** of direct at ` +
      `${fmt(r.floor.appCpuUs)} µs CPU per request (in the B column); the app adds ${fmt(r.proxied.appCpuUs - r.floor.appCpuUs)} µs on top of it.`,
    `- App CPU per proxied request: **${fmt(r.proxied.appCpuUs)} µs** — ${verdict(cpuOk, `≤ ${TARGET.cpuUs} µs`)}`,
    '- The demo API verifies a JWT (jose, RS256) on every request: that cost is in both rows (last CPU column).',
    '',
    `#### Against the floor (medians over the ${ROUNDS} rounds of each round's ratio to the bare proxy P)`,
    '',
    table(
      [
        'Proxied `GET /api/me`',
        'app CPU per call / floor',
        'throughput / floor',
        'p50 ms vs floor',
        'Redis server CPU per call',
      ],
      floorRows(r),
    ),
    '',
    ...dpopLines(r),
    `### 2. Refresh storm: ${STORM_TTL_S} s access tokens, ${CONNECTIONS} connections on one session, ${STORM_S} s`,
    '',
    table(['', 'One instance, in-memory store'], stormRows(r.storm)),
    '',
    `### 3. Memory per session (${fmt(r.memory.logins)} real logins through the provider, heap after \`global.gc()\`)`,
    '',
    table(
      ['', ''],
      [
        ...heapRows(r.memory),
        ...(r.redisMemory
          ? [
              [
                `Redis memory per session (\`used_memory\`, ${fmt(r.redisMemory.logins)} logins on the app on Redis)`,
                `${fmt(r.redisMemory.bytesPerSession / 1024, 2)} KiB`,
              ],
            ]
          : []),
        loginsRow(r.memory),
        ['Stored session record (JSON)', `${r.records.sessionJsonLength ?? 'n/a'} characters`],
        ['Stored token record (JSON)', `${r.records.tokenJsonLength ?? 'n/a'} characters`],
        [
          'Flow log of that session (JSON)',
          `${r.records.flowLogJsonLength} characters, ${r.records.flowLogEvents} events (capped at 60)`,
        ],
      ],
    ),
    '',
    '### 4. Redis session store',
    '',
  );
  if (r.redisProxied && r.redisStorm) {
    lines.push(
      table(
        ['Proxied `GET /api/me`', 'req/s', 'p50 ms', 'p99 ms', 'app CPU µs/req'],
        [
          [
            'in-memory store',
            fmt(r.proxied.rps),
            fmt(r.proxied.p50, 1),
            fmt(r.proxied.p99, 1),
            fmt(r.proxied.appCpuUs),
          ],
          [
            'Redis store',
            fmt(r.redisProxied.rps),
            fmt(r.redisProxied.p50, 1),
            fmt(r.redisProxied.p99, 1),
            fmt(r.redisProxied.appCpuUs),
          ],
        ],
      ),
      '',
      `- Redis / in-memory throughput: **${(r.redisProxied.rps / r.proxied.rps).toFixed(2)}**; Redis / direct: ${(r.redisProxied.rps / r.direct.rps).toFixed(2)}`,
      '',
      table(
        ['', 'Two instances sharing Redis (connections alternate between them, same cookie)'],
        stormRows(r.redisStorm),
      ),
      '',
    );
  } else {
    lines.push(r.redisNote ?? 'skipped', '');
  }
  lines.push(
    '### Compared with the reference figures (same measurement on this kind of machine)',
    '',
    table(
      ['', 'This app', 'Target', REFERENCE.apache.name, REFERENCE.eoc.name],
      [
        [
          'Share of direct throughput',
          `${share.toFixed(2)} ${share >= TARGET.share ? '' : 'MISSED'}`.trim(),
          `≥ ${TARGET.share} (< ${TARGET.defectShare} defect)`,
          String(REFERENCE.apache.share),
          String(REFERENCE.eoc.share),
        ],
        [
          'App CPU per proxied request',
          `${fmt(r.proxied.appCpuUs)} µs ${cpuOk ? '' : 'MISSED'}`.trim(),
          `≤ ${TARGET.cpuUs} µs`,
          `~${REFERENCE.apache.cpuUs} µs`,
          `~${REFERENCE.eoc.cpuUs} µs`,
        ],
        [
          'Memory per session',
          `${fmt(r.memory.kibPerSession, 2)} KiB ${memOk ? '' : 'MISSED'}`.trim(),
          `≤ ${TARGET.kib} KiB`,
          `~${REFERENCE.apache.kib} KiB`,
          `~${REFERENCE.eoc.kib} KiB`,
        ],
        [
          'Refresh storm (5 s tokens, 50 connections, 20 s)',
          `${r.storm.refreshGrants} grants for ${r.storm.expected} expiries, ${r.storm.non2xx + r.storm.errors} failed calls, session ${r.storm.afterStatuses.every((s) => s === 200) ? 'live' : 'LOST'}${r.storm.ok ? '' : ' MISSED'}`,
          'one grant per expiry, 0 failed, live',
          '> 10,000 grants, session lost',
          '> 10,000 grants, session lost',
        ],
      ],
    ),
  );
  return lines.join('\n');
}

/** Part 1's DPoP row next to the bearer row, and the cost of one proof in isolation. */
function dpopLines(r: Report): string[] {
  // The median of the same-round differences: a neighbour's load spike hits both rows of a round alike.
  const bearerRounds = r.proxied.rounds ?? [];
  const dpopRounds = r.dpopProxied.rounds ?? [];
  const addedUs =
    dpopRounds.length > 0 && dpopRounds.length === bearerRounds.length
      ? median(
          dpopRounds.map((round, i) => round.appCpuUs - (bearerRounds[i] as (typeof bearerRounds)[number]).appCpuUs),
        )
      : r.dpopProxied.appCpuUs - r.proxied.appCpuUs;
  return [
    '#### DPoP (RFC 9449): a proof per proxied call',
    '',
    table(
      ['Proxied `GET /api/me`', 'req/s', 'p50 ms', 'p99 ms', 'app CPU µs/req', 'provider+API CPU µs/req'],
      [r.proxied, r.dpopProxied].map((t, i) => [
        i === 0 ? 'bearer token' : 'DPoP-bound token, fresh proof per call',
        fmt(t.rps),
        fmt(t.p50, 1),
        fmt(t.p99, 1),
        fmt(t.appCpuUs),
        fmt(t.demoCpuUs),
      ]),
    ),
    '',
    `- Added app CPU per proxied call, flat out: **${fmt(addedUs)} µs** (median over the ${ROUNDS} rounds of DPoP row − bearer row); ` +
      `DPoP / bearer throughput: ${(r.dpopProxied.rps / r.proxied.rps).toFixed(2)}. Flat out the DPoP app serves fewer calls per second (the demo API checks every proof on the same cores), ` +
      `so each call also carries a larger share of the event loop's fixed work: the target (≤ ${TARGET.dpopAddedUs} µs) is judged by \`npm run bench -- --dpop\` (section "DPoP" below).`,
    `- In isolation (process C, after the load runs): signing one proof with the imported key costs ${fmt(r.dpopCosts.proofUs)} µs of CPU ` +
      `(node:crypto, synchronous); the same proof with jose's SignJWT through WebCrypto ${fmt(r.dpopCosts.joseProofUs)} µs, which is why the proxy signs its proofs itself. ` +
      `Importing a login's key from its stored JWK costs ${fmt(r.dpopCosts.importUs)} µs, which is why each instance imports a key once and keeps the key object.`,
    "- The demo API's column includes checking each proof (signature, claims, thumbprint, replay cache).",
    '',
  ];
}

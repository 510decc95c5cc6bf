/**
 * `npm run tracing-cost`: the app's CPU per proxied request with OpenTelemetry
 * tracing off and on (docs/benchmark.md, "Observability costs").
 *
 * The demo provider and API run in a process of their own (`npm run
 * demo:provider`), so the app's process does only the app's work; with tracing
 * on, its spans go to a receiver in this process that reads and drops them.
 * Rounds alternate off/on so the machine's load moves both alike. The app's CPU
 * is read from /proc/<pid>/stat (Linux). Prometheus metrics are always counted,
 * so their cost is inside both figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { DEMO_API_AUDIENCE, DEMO_CLIENT, DEMO_USER_SCOPES } from '../src/config/config.js';
import { DEMO_ACCOUNTS } from '../src/demo/demo-accounts.js';
import { apiHeaders, login } from './bench/login.js';
import { freePort } from './bench/free-port.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 8);
const CONNECTIONS = 10;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await delay(200);
  }
  throw new Error(`${url} did not answer`);
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function measure(tracing: string | undefined, ports: { app: number; provider: number; api: number }) {
  const appUrl = `http://localhost:${ports.app}`;
  const app = start(['src/server.ts'], {
    PORT: String(ports.app),
    OIDC_ISSUER: `http://127.0.0.1:${ports.provider}`,
    OIDC_CLIENT_ID: DEMO_CLIENT.clientId,
    OIDC_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
    OIDC_RESOURCE: DEMO_API_AUDIENCE,
    OIDC_SCOPE: `openid profile email offline_access ${DEMO_USER_SCOPES}`,
    OIDC_PROMPT: 'consent',
    API_BASE_URL: `http://127.0.0.1:${ports.api}/`,
    RATE_LIMIT_API_PER_MINUTE: '100000000',
    ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing } : {}),
  });
  try {
    await waitFor(`${appUrl}/readyz`);
    // One instance, which is also BASE_URL: the provider sends the browser back to it.
    const headers = apiHeaders(await login({ publicOrigin: appUrl }, { origin: appUrl }, DEMO_ACCOUNTS[0]!));
    // Warm-up: JIT, keep-alive pools, the first spans.
    await autocannon({ url: `${appUrl}/api/appointments`, headers, connections: CONNECTIONS, duration: 2 });
    const before = cpuSeconds(app.pid!);
    const result = await autocannon({
      url: `${appUrl}/api/appointments`,
      headers,
      connections: CONNECTIONS,
      duration: SECONDS,
    });
    const cpu = cpuSeconds(app.pid!) - before;
    const ok = result.requests.total - result.non2xx - result.errors;
    return {
      microsecondsPerRequest: (cpu / ok) * 1e6,
      requestsPerSecond: ok / SECONDS,
      failed: result.non2xx + result.errors,
    };
  } finally {
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
  }
}

const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const ports = { app: await freePort(), provider: await freePort(), api: await freePort() };
const demo = start(['src/demo/provider-main.ts'], {
  PORT: String(ports.app),
  DEMO_PROVIDER_PORT: String(ports.provider),
  DEMO_API_PORT: String(ports.api),
  DEMO_ACCESS_TOKEN_TTL: '3600',
});
try {
  await waitFor(`http://127.0.0.1:${ports.provider}/.well-known/openid-configuration`);
  const rows: string[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const tracing of [undefined, endpoint]) {
      const r = await measure(tracing, ports);
      rows.push(
        `round ${round} tracing ${tracing ? 'on ' : 'off'}: ${r.microsecondsPerRequest.toFixed(0)} µs CPU per request, ` +
          `${r.requestsPerSecond.toFixed(0)} req/s, ${r.failed} failed`,
      );
      console.log(rows.at(-1));
    }
  }
} finally {
  demo.kill('SIGTERM');
  receiver.close();
}

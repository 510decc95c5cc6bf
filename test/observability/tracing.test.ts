/**
 * OpenTelemetry traces from the real process entry (`npm start` in demo mode with
 * OTEL_EXPORTER_OTLP_ENDPOINT set) to a tiny OTLP/HTTP JSON receiver in this test:
 * one trace links the browser's /api request, the refresh grant it needed and the
 * upstream call, the demo API joined that trace through `traceparent`, and no span
 * carries a token, a cookie, the authorization code or the callback's query.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DEMO_ACCOUNTS } from '../../src/demo/demo-accounts.js';
import { Browser } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { loginAtProvider } from '../helpers/provider-login.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 2 = SERVER, 3 = CLIENT (OTLP SpanKind). */
  kind: number;
  attributes?: Array<{ key: string; value: OtlpValue }>;
}
interface ExportRequest {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const SERVER = 2;
const CLIENT = 3;

function attribute(span: OtlpSpan, key: string): string | undefined {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : String(value.intValue));
}

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  /** Every export body as received, and the spans in them. */
  const bodies: string[] = [];
  const spans: OtlpSpan[] = [];
  let receiver: http.Server;
  let output = '';
  const browser = new Browser();
  let appUrl = '';
  let callbackUrl = '';

  before(async () => {
    // The OTLP/HTTP receiver: POST /v1/traces with a JSON ExportTraceServiceRequest.
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (req.method === 'POST' && req.url === '/v1/traces') {
          bodies.push(body);
          const request = JSON.parse(body) as ExportRequest;
          for (const resource of request.resourceSpans ?? []) {
            for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = (receiver.address() as AddressInfo).port;

    const [port, providerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    appUrl = `http://localhost:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        DEMO_PROVIDER_PORT: String(providerPort),
        DEMO_API_PORT: String(apiPort),
        // Short-lived access tokens: the API call below needs a refresh first.
        DEMO_ACCESS_TOKEN_TTL: '4',
        LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
        OTEL_SERVICE_NAME: 'oidc-bff-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      const deadline = Date.now() + 60_000;
      let ready = false;
      while (!ready && Date.now() < deadline && child.exitCode === null) {
        ready = await fetch(`${appUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
          (res) => res.ok,
          () => false,
        );
        if (!ready) await delay(200);
      }
      assert.ok(ready, `the app became ready; output:\n${output}`);

      const alice = DEMO_ACCOUNTS[0]!;
      const login = await loginAtProvider(browser, `${appUrl}/login`, { login: alice.login, password: alice.password });
      callbackUrl = login.urls.find((url) => url.startsWith(`${appUrl}/callback`)) ?? '';
      assert.ok(callbackUrl, 'logged in through the callback');
      // Past the refresh point of a 4-second token (a quarter of its lifetime before expiry).
      await delay(3_500);
      const api = await browser.request(`${appUrl}/api/appointments`, {
        headers: { 'X-CSRF': '1', Accept: 'application/json' },
      });
      assert.equal(api.status, 200);
    } finally {
      // SIGTERM flushes the spans still buffered before the process exits.
      child.kill('SIGTERM');
      await Promise.race([exited, delay(15_000)]);
      child.kill('SIGKILL');
    }
  });

  after(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('links the browser request, the refresh grant and the upstream call in one trace the API joined', () => {
    const request = spans.find((s) => s.kind === SERVER && attribute(s, 'url.path') === '/api/appointments');
    assert.ok(request, `a server span for GET /api/appointments among ${spans.length} spans; output:\n${output}`);
    const trace = spans.filter((s) => s.traceId === request.traceId);

    const refresh = trace.find(
      (s) =>
        s.kind === CLIENT &&
        attribute(s, 'http.request.method') === 'POST' &&
        /\/token$/.test(attribute(s, 'url.full') ?? ''),
    );
    assert.ok(refresh, `the refresh grant (POST …/token) is in the trace: ${trace.map((s) => s.name).join(', ')}`);

    const upstream = trace.find((s) => s.kind === CLIENT && /\/appointments$/.test(attribute(s, 'url.full') ?? ''));
    assert.ok(upstream, 'the upstream call to the API is in the trace');

    // The demo API's own server span has the upstream call as its parent: it received our traceparent.
    const atApi = trace.find((s) => s.kind === SERVER && attribute(s, 'url.path') === '/appointments');
    assert.ok(atApi, 'the demo API recorded the call in the same trace');
    assert.equal(atApi.parentSpanId, upstream.spanId);
  });

  it('puts no token, cookie, authorization code or callback query in any span', () => {
    const everything = bodies.join('\n');
    const code = new URL(callbackUrl).searchParams.get('code');
    const state = new URL(callbackUrl).searchParams.get('state');
    assert.ok(code && state);
    const cookie = browser.cookiesFor(appUrl);
    assert.ok(cookie);
    for (const secret of [code, state, cookie, cookie.split('=')[1] ?? cookie]) {
      assert.ok(!everything.includes(secret), 'a credential from the login reached a span');
    }
    assert.doesNotMatch(everything, /eyJ[\w-]{10,}/, 'no JWT (access or ID token) in a span');
    assert.doesNotMatch(everything, /Bearer|refresh_token|code=|state=/);
    const callback = spans.find((s) => s.kind === SERVER && attribute(s, 'url.path') === '/callback');
    assert.ok(callback, 'the callback has a span');
    assert.ok(!attribute(callback, 'url.query'), 'without its query');
  });
});

/**
 * /metrics after a scripted journey against the real embedded provider: every
 * counter moved by exactly what happened, with low-cardinality labels only; and
 * Redis errors and reconnects against a real redis-server that hangs, stops and
 * comes back.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { closeServer } from '../../src/http-server.js';
import { startMetricsServer } from '../../src/observability/metrics-server.js';
import { apiCall, logIn, sessionIdOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRedisServer } from '../helpers/redis-server.js';
import { startStack, withStack, type Stack } from '../helpers/stack.js';

/** `name{labels}` → value, from the Prometheus text format (histogram buckets included). */
type Samples = Map<string, number>;

function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

let stack: Stack;
let metricsServer: Server;
let metricsUrl = '';

async function scrape(): Promise<Samples> {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

// One process-wide registry (as in the app): one listener serves both parts of this file.
before(async () => {
  const started = await startMetricsServer(0, '127.0.0.1');
  metricsServer = started.server;
  metricsUrl = `http://127.0.0.1:${started.port}/metrics`;
});

after(() => closeServer(metricsServer, 0));

describe('Prometheus metrics (METRICS_PORT)', () => {
  before(async () => {
    stack = await startStack();
  });

  after(() => stack.close());

  it('serves only GET /metrics on its own listener, and nothing on the public port', async () => {
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404);
    assert.equal((await fetch(`${stack.appUrl}/metrics`)).status, 404);
    const samples = await scrape();
    assert.ok(samples.has('oidc_bff_process_cpu_seconds_total'), 'default process metrics are there');
  });

  it('counts logins, failed callbacks, refreshes, waits, proxied calls and M2M tokens exactly', async () => {
    const before = await scrape();
    const browser = new Browser();

    await logIn(stack, browser);
    const forged = await browser.request(`${stack.appUrl}/callback?code=forged&state=forged`);
    const failureCode = /<code>([a-z_]+)<\/code>/.exec(await forged.text())?.[1];
    assert.ok(failureCode, `the error page shows a code (status ${forged.status})`);

    assert.equal((await apiCall(browser, stack, '/appointments')).status, 200);
    const manual = await browser.request(`${stack.appUrl}/session/refresh`, {
      method: 'POST',
      headers: { 'X-CSRF': '1' },
    });
    assert.equal(manual.status, 200);
    // Two callers whose token the API refused, at once: one grant, the second waits on the first (single flight).
    const sessionId = sessionIdOf(browser, stack);
    assert.ok(sessionId);
    const rejected = (await stack.services.tokens.peek(sessionId))?.accessToken;
    const force = { force: 'rejected_by_api', rejectedAccessToken: rejected } as const;
    await Promise.all([
      stack.services.tokens.getTokens(sessionId, force),
      stack.services.tokens.getTokens(sessionId, force),
    ]);
    // M2M: a cold cache (a miss and a token request), then a hit.
    assert.ok(stack.services.m2m);
    await stack.services.m2m.getToken();
    await stack.services.m2m.getToken();

    const after = await scrape();
    const moved = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    assert.equal(moved('oidc_bff_logins_started_total'), 1);
    assert.equal(moved('oidc_bff_logins_completed_total'), 1);
    assert.equal(moved(`oidc_bff_logins_failed_total{code="${failureCode}"}`), 1);
    assert.equal(moved('oidc_bff_refresh_grants_total{reason="manual",outcome="ok"}'), 1);
    assert.equal(moved('oidc_bff_refresh_grants_total{reason="rejected_by_api",outcome="ok"}'), 1);
    assert.equal(moved('oidc_bff_refresh_grants_total{reason="expiring",outcome="ok"}'), 0);
    assert.equal(moved('oidc_bff_refresh_waits_total{on="single_flight"}'), 1);
    assert.equal(moved('oidc_bff_api_proxied_requests_total{method="GET",status_class="2xx"}'), 1);
    assert.equal(moved('oidc_bff_api_upstream_duration_seconds_count{method="GET"}'), 1);
    assert.equal(moved('oidc_bff_m2m_cache_lookups_total{result="miss"}'), 1);
    assert.equal(moved('oidc_bff_m2m_cache_lookups_total{result="hit"}'), 1);
    assert.equal(moved('oidc_bff_m2m_token_requests_total'), 1);
    assert.equal(after.get('oidc_bff_active_sessions'), 1);

    // Low cardinality: no label value is a path, a user, a session id or a token.
    const tokens = await stack.services.tokens.peek(sessionId);
    for (const name of after.keys()) {
      for (const secret of [sessionId, tokens?.accessToken, tokens?.refreshToken, 'appointments', 'alice']) {
        assert.ok(secret && !name.includes(secret), `${name} carries no identifying value`);
      }
    }
  });
});

describe('Redis errors and reconnects (real redis-server)', () => {
  it('counts a command that times out, the connection errors while Redis is down, and exactly one reconnect', async () => {
    const redis = await startRedisServer();
    try {
      await withStack({ REDIS_URL: redis.url }, async (redisStack) => {
        const browser = new Browser();
        await logIn(redisStack, browser);
        const me = () => apiCall(browser, redisStack, '/me');
        assert.equal((await me()).status, 200);
        const before = await scrape();
        const moved = (samples: Samples, name: string) => (samples.get(name) ?? 0) - (before.get(name) ?? 0);

        // Redis hangs (the socket stays open): the session read times out, one failed command.
        redis.pause();
        try {
          assert.equal((await me()).status, 503);
        } finally {
          redis.resume();
        }
        const afterHang = await scrape();
        assert.equal(moved(afterHang, 'oidc_bff_redis_errors_total{kind="command"}'), 1);
        assert.equal(moved(afterHang, 'oidc_bff_redis_errors_total{kind="connection"}'), 0);
        assert.equal(moved(afterHang, 'oidc_bff_redis_reconnects_total'), 0);

        // Redis stops: the client reports the lost connection and each failed reconnect attempt.
        // Production Redis persists its data; this test server does not, so snapshot it first.
        const raw = createClient({ url: redis.url });
        await raw.connect();
        await raw.sendCommand(['SAVE']);
        await raw.quit();
        await redis.stop();
        try {
          assert.equal((await me()).status, 503);
          const down = await scrape();
          assert.ok(
            moved(down, 'oidc_bff_redis_errors_total{kind="connection"}') >= 1,
            'the lost connection is counted',
          );
          assert.equal(moved(down, 'oidc_bff_redis_reconnects_total'), 0);
        } finally {
          await redis.start();
        }
        // The client reconnects on its own backoff (at most 2 s apart): wait, bounded, until the session answers.
        let status = 0;
        for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
          status = (await me()).status;
          if (status !== 200) await delay(200);
        }
        assert.equal(status, 200, 'the same session works again once Redis is back');
        const back = await scrape();
        assert.equal(moved(back, 'oidc_bff_redis_reconnects_total'), 1);
      });
    } finally {
      await redis.dispose();
    }
  });
});

/**
 * Several app instances sharing a real redis-server: sessions move between
 * instances, a refresh happens once across the cluster, and Redis outages are
 * answered with 503s the instances survive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createApp } from '../../../src/web/app.js';
import { closeServer, createListeningServer } from '../../../src/http-server.js';
import { createLogger } from '../../../src/logger.js';
import { createServices } from '../../../src/services.js';
import { refreshLockKey } from '../../../src/stores/redis/refresh-lock.js';
import { expireAccessToken, logIn, logoutFormToken, refreshGrants, sessionIdOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { counterValue } from '../../helpers/metric-value.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { startStack, type AppInstance, type Stack } from '../../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisServer;
let stack: Stack;
let second: AppInstance;

/** The same browser session, sent to any instance (a load balancer without sticky sessions). */
function callVia(baseUrl: string, cookie: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    ...init,
    redirect: 'manual',
    headers: {
      cookie,
      'X-CSRF': '1',
      Accept: 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

before(async () => {
  redis = await startRedisServer();
  stack = await startStack({ REDIS_URL: redis.url, DEMO_ACCESS_TOKEN_TTL: '600' });
  second = await stack.addInstance();
});

after(async () => {
  await stack.close();
  await redis.dispose();
});

describe('two instances sharing Redis', () => {
  it('logs in on one instance and calls the API on the other', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    const res = await callVia(second.url, cookie, '/api/me');
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { kind: string }).kind, 'user');
    const page = await callVia(second.url, cookie, '/profile', { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 200);
  });

  it('a logout on one instance ends the session on the other within 1 s, though it held it in its client-side cache', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    // The second instance reads the session and its tokens, and keeps them in its client-side cache.
    for (let i = 0; i < 3; i += 1) assert.equal((await callVia(second.url, cookie, '/api/me')).status, 200);
    const csrf = await logoutFormToken(browser, stack);
    assert.equal((await browser.post(`${stack.appUrl}/logout`, { csrf })).status, 303);
    const deadline = Date.now() + 1_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await callVia(second.url, cookie, '/api/me')).status;
      if (status === 200) await sleep(20);
    }
    assert.equal(status, 401, 'the other instance stopped serving the ended session within 1 s');
  });

  it('20 concurrent calls with an expired token over both instances make exactly one refresh grant', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    const sid = sessionIdOf(browser, stack) ?? '';
    await expireAccessToken(stack, sid);
    const before = refreshGrants(stack);
    const urls = [stack.appUrl, second.url];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => callVia(urls[i % 2] as string, cookie, '/api/appointments')),
    );
    // A refused call says why (its error code) in the failure message.
    const refused = await Promise.all(results.filter((r) => r.status !== 200).map(async (r) => r.text()));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(200),
      refused.join('\n'),
    );
    assert.equal(refreshGrants(stack) - before, 1);
    // The newest refresh token is the one in the store: the next refresh works.
    await expireAccessToken(stack, sid);
    assert.equal((await callVia(second.url, cookie, '/api/appointments')).status, 200);
    assert.equal(refreshGrants(stack) - before, 2);
  });

  it('keeps the session when an instance restarts', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    // A brand-new instance (new process state) with the same configuration.
    const logger = createLogger('silent');
    const services = await createServices(stack.config, logger);
    await services.provider.whenReady();
    const fresh = await createListeningServer(0, '127.0.0.1', createApp(services));
    try {
      const res = await callVia(`http://localhost:${fresh.port}`, cookie, '/api/me');
      assert.equal(res.status, 200);
    } finally {
      await closeServer(fresh.server, 200);
      await services.close();
    }
  });

  it('refreshes after a lock left by a killed holder expires', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    const sid = sessionIdOf(browser, stack) ?? '';
    await expireAccessToken(stack, sid);
    // A holder that died mid-refresh: its lock stays until it expires.
    const raw = createClient({ url: redis.url });
    await raw.connect();
    // The app runs with the default key prefix, `oidc-bff:`.
    await raw.set(refreshLockKey('oidc-bff:', sid), 'dead-holder', { PX: 1500 });
    await raw.quit();
    const before = refreshGrants(stack);
    const lockWaits = () => counterValue('oidc_bff_refresh_waits_total', { on: 'cluster_lock' });
    const waitsBefore = await lockWaits();
    const started = Date.now();
    const res = await callVia(second.url, cookie, '/api/me');
    const waited = Date.now() - started;
    assert.equal(res.status, 200);
    assert.equal(refreshGrants(stack) - before, 1);
    assert.equal((await lockWaits()) - waitsBefore, 1, 'one caller waited on the cluster lock (metrics)');
    assert.ok(waited >= 1000 && waited < 5000, `waited ${waited} ms for the dead lock`);
  });

  it('answers 503 while Redis is down, stays up, and the same cookie works when Redis is back', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    // Production Redis persists its data; this test server does not, so write a snapshot before stopping it.
    const raw = createClient({ url: redis.url });
    await raw.connect();
    await raw.sendCommand(['SAVE']);
    await raw.quit();
    await redis.stop();
    try {
      const started = Date.now();
      const api = await callVia(stack.appUrl, cookie, '/api/me');
      assert.equal(api.status, 503);
      assert.equal(((await api.json()) as { error: string }).error, 'session_store_unavailable');
      assert.ok(Date.now() - started < 3000, 'a bounded wait');
      const page = await callVia(second.url, cookie, '/profile', { headers: { Accept: 'text/html' } });
      assert.equal(page.status, 503);
      const html = await page.text();
      assert.match(html, /Sessions are temporarily unavailable/);
      assert.doesNotMatch(html, /ECONNREFUSED|at .+\.ts:\d+/);
      assert.equal(page.headers.get('location'), null, 'no login loop');
      assert.equal((await fetch(`${stack.appUrl}/readyz`)).status, 503);
      assert.equal((await fetch(`${stack.appUrl}/healthz`)).status, 200);
    } finally {
      await redis.start();
    }
    // Each instance reconnects on its own backoff: wait until both answer again.
    for (const url of [stack.appUrl, second.url]) {
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await callVia(url, cookie, '/api/me')).status;
        if (status === 200) break;
        await sleep(200);
      }
      assert.equal(status, 200, `the same cookie works again without a restart (${url})`);
    }
    assert.equal((await fetch(`${second.url}/readyz`)).status, 200);
  });

  it('bounds the wait when Redis hangs, and a failed read does not end the session', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    redis.pause();
    try {
      const started = Date.now();
      const res = await callVia(stack.appUrl, cookie, '/api/me');
      assert.equal(res.status, 503);
      assert.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`);
    } finally {
      redis.resume();
    }
    await sleep(100);
    assert.equal((await callVia(stack.appUrl, cookie, '/api/me')).status, 200, 'still logged in');
  });

  it('shares M2M tokens through Redis: a fleet makes one token request per token lifetime', async () => {
    const m2mA = stack.services.m2m;
    const m2mB = second.services.m2m;
    assert.ok(m2mA && m2mB);
    const before = stack.provider.stats.grants.client_credentials ?? 0;
    const first = await m2mA.getToken();
    const fromOther = await m2mB.getToken();
    assert.equal(fromOther.accessToken, first.accessToken, 'the second instance used the shared cached token');
    assert.equal((stack.provider.stats.grants.client_credentials ?? 0) - before, 1);
  });
});

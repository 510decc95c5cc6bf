/**
 * The /api proxy and the refresh policy, against the embedded provider and the
 * real demo API; a recording stub API stands in only for faults.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import {
  ALICE,
  BOB,
  apiCall,
  expireAccessToken,
  logIn,
  refreshGrants,
  sessionIdOf,
  tokensOf,
} from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { counterValue } from '../helpers/metric-value.js';
import { freePort } from '../helpers/free-port.js';
import { bigPattern, startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { EVIL, PATH_TRICKS } from '../proxy/path-tricks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('/api with the real demo API', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ DEMO_ACCESS_TOKEN_TTL: '60' });
  });
  after(async () => stack.close());

  it('answers 401 JSON (never a redirect) when not logged in', async () => {
    const res = await apiCall(new Browser(), stack, '/appointments');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await res.json()) as { error: string }).error, 'login_required');
  });

  it('never lets a spoofed header or a path trick decide authentication', async () => {
    const anonymous = { 'X-CSRF': '1', Accept: 'application/json' };
    const attempts: Array<[string, Record<string, string>]> = [
      ['/api/appointments?/healthz', anonymous],
      ['/api/appointments?x=/healthz', anonymous],
      ['/api/appointments', { ...anonymous, 'User-Agent': 'kube-probe/1.30' }],
      ['/api/appointments', { ...anonymous, 'X-Forwarded-Uri': '/healthz' }],
      ['/api/appointments', { ...anonymous, 'X-Original-URL': '/healthz' }],
      ['/api/appointments', { ...anonymous, 'X-Rewrite-URL': '/healthz' }],
      ['/api/appointments', { ...anonymous, 'X-Forwarded-Prefix': '/healthz' }],
      ['/api/appointments', { ...anonymous, 'X-Forwarded-For': '127.0.0.1', 'X-Real-IP': '127.0.0.1' }],
    ];
    for (const [target, headers] of attempts) {
      const res = await rawRequest(stack.appUrl, target, { headers });
      assert.equal(res.status, 401, `${target} ${JSON.stringify(headers)} → ${res.status}`);
      assert.equal((JSON.parse(res.body) as { error: string }).error, 'login_required');
    }
    // The probe path with a climb back into /api is not the probe and not the API.
    for (const target of ['/healthz/../api/appointments', '/healthz/%2e%2e/api/appointments', '/healthz;/../api/x']) {
      const res = await rawRequest(stack.appUrl, target, { headers: anonymous });
      assert.ok(res.status === 404 || res.status === 400, `${target} → ${res.status}`);
      assert.ok(!res.body.includes('appointments":'), `${target} reached the API`);
    }
    // A page behind the login is not opened by them either.
    for (const [, headers] of attempts.slice(2)) {
      const res = await rawRequest(stack.appUrl, '/profile', { headers: { ...headers, Accept: 'text/html' } });
      assert.equal(res.status, 303, JSON.stringify(headers));
      assert.match(res.headers.location ?? '', /^\/login\?returnTo=/);
    }
  });

  it('refuses a call without X-CSRF: 1 with 403, and sends no CORS headers', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const variants: Array<Record<string, string>> = [{}, { 'X-CSRF': '0' }, { 'X-CSRF': 'true' }];
    for (const headers of variants) {
      const res = await browser.get(`${stack.appUrl}/api/appointments`, { headers });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: string }).error, 'csrf_header_missing');
    }
    const preflight = await browser.request(`${stack.appUrl}/api/appointments`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'x-csrf',
      },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
  });

  it("carries the logged-in user's own token to the API", async () => {
    for (const account of [ALICE, BOB]) {
      const browser = new Browser();
      await logIn(stack, browser, account);
      const res = await apiCall(browser, stack, '/me');
      assert.equal(res.status, 200);
      const me = (await res.json()) as { sub: string; aud: unknown; kind: string; scope: string };
      assert.equal(me.sub, account.sub);
      assert.equal(me.kind, 'user');
      assert.deepEqual([me.aud].flat(), ['https://demo-api.example/']);
    }
  });

  it('creates and lists appointments with JSON bodies, and passes API errors through', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const created = await apiCall(browser, stack, '/appointments', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Dentist', startsAt: new Date(Date.now() + 3600_000).toISOString() }),
    });
    assert.equal(created.status, 201);
    const list = (await (await apiCall(browser, stack, '/appointments')).json()) as {
      appointments: Array<{ title: string }>;
    };
    assert.ok(list.appointments.some((a) => a.title === 'Dentist'));
    const bad = await apiCall(browser, stack, '/appointments', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title":',
    });
    assert.equal(bad.status, 400);
    const forbidden = await apiCall(browser, stack, '/admin/audit-log');
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    const machineOnly = await apiCall(browser, stack, '/reports/daily');
    assert.equal(machineOnly.status, 403);
  });

  it('does not refresh while the token is still good', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const before = refreshGrants(stack);
    for (let i = 0; i < 10; i += 1) assert.equal((await apiCall(browser, stack, '/contacts')).status, 200);
    assert.equal(refreshGrants(stack), before);
  });

  it('refreshes once after expiry, uses the new token, and the rotated refresh token is the one used next', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const first = await tokensOf(browser, stack);
    assert.ok(first?.refreshToken);
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    const before = refreshGrants(stack);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal(refreshGrants(stack), before + 1);
    const second = await tokensOf(browser, stack);
    assert.ok(second?.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.notEqual(second.refreshToken, first.refreshToken, 'the provider rotated the refresh token');
    // The next refresh uses the rotated token: it succeeds.
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal(refreshGrants(stack), before + 2);
    // The first refresh token is refused by the provider (and, as RFC 9700 §4.14.2 says, reusing it revokes the grant).
    await assert.rejects(
      client.refreshTokenGrant(stack.services.provider.get(), first.refreshToken),
      (err: unknown) => {
        assert.ok(err instanceof client.ResponseBodyError && err.error === 'invalid_grant');
        return true;
      },
    );
  });

  it('20 concurrent calls with an expired token make exactly one refresh grant, all 200', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    const before = refreshGrants(stack);
    const results = await Promise.all(Array.from({ length: 20 }, () => apiCall(browser, stack, '/appointments')));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(200),
    );
    assert.equal(refreshGrants(stack), before + 1);
    // And the session still works afterwards with the newest refresh token.
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    assert.equal((await apiCall(browser, stack, '/appointments')).status, 200);
    assert.equal(refreshGrants(stack), before + 2);
  });

  it('a revoked refresh token ends the login: API 401 login_required, pages redirect to /login', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const tokens = await tokensOf(browser, stack);
    assert.ok(tokens?.refreshToken);
    await client.tokenRevocation(stack.services.provider.get(), tokens.refreshToken, {
      token_type_hint: 'refresh_token',
    });
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    const res = await apiCall(browser, stack, '/appointments');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'login_required');
    assert.equal(await tokensOf(browser, stack), undefined, 'tokens cleared');
    const page = await browser.get(`${stack.appUrl}/console`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?returnTo=%2Fconsole');
  });

  it('the "refresh now" endpoint refreshes on demand and reports no token', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const before = refreshGrants(stack);
    const res = await browser.request(`${stack.appUrl}/session/refresh`, {
      method: 'POST',
      headers: { 'X-CSRF': '1' },
    });
    assert.equal(res.status, 200);
    const body = await browser.text(res);
    assert.equal(refreshGrants(stack), before + 1);
    assert.doesNotMatch(body, /eyJ/);
    const info = (await (await browser.get(`${stack.appUrl}/session/info`, { headers: { 'X-CSRF': '1' } })).json()) as {
      refreshes: Array<{ reason: string; rotated: boolean }>;
    };
    assert.equal(info.refreshes.at(-1)?.reason, 'manual');
    assert.equal(info.refreshes.at(-1)?.rotated, true);
    const noHeader = await browser.request(`${stack.appUrl}/session/refresh`, { method: 'POST' });
    assert.equal(noHeader.status, 403);
    // A loop in a tab cannot burn the provider's quota: one forced refresh per 10 s per session.
    const again = await browser.request(`${stack.appUrl}/session/refresh`, {
      method: 'POST',
      headers: { 'X-CSRF': '1' },
    });
    assert.equal(again.status, 429);
    assert.equal(((await again.json()) as { error: string }).error, 'refresh_too_frequent');
    assert.ok(Number(again.headers.get('retry-after')) >= 1);
    assert.equal(refreshGrants(stack), before + 1);
  });
});

describe('refresh timing with short-lived tokens', () => {
  it('refreshes after the real expiry once, not on every call (5-second tokens)', async () => {
    const stack = await startStack({ DEMO_ACCESS_TOKEN_TTL: '3' });
    try {
      const browser = new Browser();
      await logIn(stack, browser);
      const before = refreshGrants(stack);
      const deadline = Date.now() + 3200;
      let calls = 0;
      while (Date.now() < deadline) {
        assert.equal((await apiCall(browser, stack, '/me')).status, 200);
        calls += 1;
        await sleep(100);
      }
      // Lifetime 3 s, skew 0.75 s: one refresh at ~2.25 s, none before.
      assert.ok(calls > 10);
      assert.equal(refreshGrants(stack) - before, 1);
    } finally {
      await stack.close();
    }
  });
});

describe('fault drill: a 20-second access token', () => {
  it('is refreshed before its first use once that use falls inside the refresh margin', async () => {
    const stack = await startStack({ DEMO_ACCESS_TOKEN_TTL: '20' });
    try {
      const browser = new Browser();
      await logIn(stack, browser);
      const id = sessionIdOf(browser, stack) ?? '';
      const login = await stack.services.tokens.peek(id);
      assert.equal(login?.lifetimeSeconds, 20);
      // The first API call comes 16 s after the login (no waiting: the record is aged instead),
      // inside the 5 s margin of a 20 s token.
      const aged = { ...login!, receivedAt: login!.receivedAt - 16_000, expiresAt: login!.expiresAt - 16_000 };
      await stack.services.tokens.saveLogin(id, { ...aged, version: login!.version + 1 });
      const before = refreshGrants(stack);
      assert.equal((await apiCall(browser, stack, '/me')).status, 200);
      assert.equal(refreshGrants(stack), before + 1);
      const events = (await stack.services.flowLog.list(id)).map((e) => e.type);
      assert.ok(events.indexOf('refresh') >= 0, events.join(', '));
      assert.ok(events.indexOf('refresh') < events.indexOf('api_call'), 'the refresh came before the first use');
      assert.notEqual((await stack.services.tokens.peek(id))?.accessToken, login?.accessToken);
    } finally {
      await stack.close();
    }
  });
});

describe('/api faults, with a recording stub API', () => {
  let stack: Stack;
  let stub: RecordingApi;
  let evil: RecordingApi;
  let browser: Browser;

  before(async () => {
    stub = await startRecordingApi('/v1/');
    evil = await startRecordingApi('/');
    stack = await startStack({
      API_BASE_URL: stub.url,
      API_TIMEOUT_MS: '700',
      API_IDLE_TIMEOUT_MS: '700',
      API_CONNECT_TIMEOUT_MS: '300',
    });
    browser = new Browser();
    await logIn(stack, browser);
  });
  after(async () => {
    await stack.close();
    await stub.close();
    await evil.close();
  });

  it('maps /api/<path>?query to API_BASE_URL/<path>?query and sends only our Bearer token', async () => {
    stub.mode = { kind: 'json' };
    stub.requests.length = 0;
    const tokens = await tokensOf(browser, stack);
    // fetch() refuses to send Connection and friends, so speak raw HTTP/1.1 like a hostile client would.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${stack.appUrl}/api/reports/x?day=2026-11-22&n=1`);
      http
        .get(
          {
            host: '127.0.0.1',
            port: url.port,
            path: url.pathname + url.search,
            headers: {
              Host: url.host,
              Cookie: browser.cookiesFor(url),
              'X-CSRF': '1',
              Authorization: 'Bearer attacker',
              'X-Forwarded-For': '6.6.6.6',
              X_Forwarded_For: '6.6.6.6',
              'X-Forwarded-Host': 'evil.example',
              Forwarded: 'for=6.6.6.6',
              Connection: 'keep-alive, X-Secret',
              'X-Secret': 'hop-by-hop',
              'X-Real-IP': '6.6.6.6',
              'X-Forwarded': 'for=6.6.6.6',
              'Client-IP': '6.6.6.6',
              'X-Originating-IP': '6.6.6.6',
              'X-Host': 'evil.example',
              'X-Original-Forwarded-For': '6.6.6.6',
              'X-Original-URL': '/admin',
              'X-Rewrite-URL': '/admin',
              'True-Client-IP': '6.6.6.6',
              'CF-Connecting-IP': '6.6.6.6',
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    const res = { status };
    assert.equal(res.status, 200);
    const seen = stub.requests.at(-1);
    assert.ok(seen);
    assert.equal(seen.url, '/v1/reports/x?day=2026-11-22&n=1');
    assert.equal(seen.headers.authorization, `Bearer ${tokens?.accessToken}`);
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const forbidden of [
      'cookie',
      'x-csrf',
      'x-forwarded-for',
      'x_forwarded_for',
      'x-forwarded-host',
      'forwarded',
      'x-secret',
      'x-real-ip',
      'x-forwarded',
      'client-ip',
      'x-originating-ip',
      'x-host',
      'x-original-forwarded-for',
      'x-original-url',
      'x-rewrite-url',
      'true-client-ip',
      'cf-connecting-ip',
    ]) {
      assert.ok(!names.includes(forbidden), `${forbidden} reached the API`);
    }
    assert.equal(names.filter((n) => n === 'authorization').length, 1);
  });

  it('never passes an upstream Set-Cookie or CORS header to the browser', async () => {
    stub.mode = { kind: 'json', headers: { 'set-cookie': ['sid=evil; Path=/'], 'access-control-allow-origin': '*' } };
    const res = await apiCall(browser, stack, '/x');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('set-cookie')?.includes('evil') ?? false, false);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  it('makes every answer no-store unless the API marked it private, and always Vary: Cookie', async () => {
    const cases: Array<[Record<string, string> | undefined, string]> = [
      [undefined, 'no-store'],
      [{ 'cache-control': 'public, max-age=600' }, 'no-store'],
      [{ 'cache-control': 'max-age=600, s-maxage=600' }, 'no-store'],
      [{ 'cache-control': 'no-cache' }, 'no-store'],
      [{ 'cache-control': 'private, max-age=30' }, 'private, max-age=30'],
      [{ 'cache-control': 'no-store, private' }, 'no-store, private'],
    ];
    for (const [headers, expected] of cases) {
      stub.mode = { kind: 'json', ...(headers ? { headers: { ...headers, vary: 'Accept' } } : {}) };
      const res = await apiCall(browser, stack, '/cacheable');
      assert.equal(res.headers.get('cache-control'), expected, JSON.stringify(headers));
      assert.match(res.headers.get('vary') ?? '', /\bCookie\b/i);
      if (headers) assert.match(res.headers.get('vary') ?? '', /\bAccept\b/);
    }
    const refused = await apiCall(browser, stack, '/%252e');
    assert.equal(refused.headers.get('cache-control'), 'no-store', 'our own errors too');
    stub.mode = { kind: 'json' };
  });

  it('does not follow upstream redirects', async () => {
    stub.mode = { kind: 'redirect', location: `${evil.url}steal` };
    evil.requests.length = 0;
    const res = await apiCall(browser, stack, '/redirect-me');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), null, 'a Location outside the API prefix is dropped');
    assert.equal(evil.requests.length, 0);
  });

  it('refuses every path trick of the corpus (400) and never reaches outside the prefix', async () => {
    stub.mode = { kind: 'json' };
    stub.requests.length = 0;
    evil.requests.length = 0;
    const evilHost = new URL(evil.url).host;
    const cookie = browser.cookiesFor(new URL(stack.appUrl));
    for (const trick of PATH_TRICKS) {
      const res = await rawRequest(stack.appUrl, `/api${trick.replaceAll(EVIL, evilHost)}`, {
        headers: { Cookie: cookie, 'X-CSRF': '1', Accept: 'application/json' },
      });
      assert.ok(res.status === 400 || res.status === 404, `${JSON.stringify(trick)} → ${res.status}`);
    }
    assert.equal(evil.requests.length, 0);
    assert.equal(stub.requests.length, 0, `reached the API: ${stub.requests.map((r) => r.url).join(' ')}`);
  });

  it('refuses TRACE (405), TRACK and CONNECT without calling the API', async () => {
    stub.requests.length = 0;
    const cookie = browser.cookiesFor(new URL(stack.appUrl));
    const headers = { Cookie: cookie, 'X-CSRF': '1', Accept: 'application/json' };
    const trace = await rawRequest(stack.appUrl, '/api/x', { method: 'TRACE', headers });
    assert.equal(trace.status, 405);
    assert.equal((JSON.parse(trace.body) as { error: string }).error, 'method_not_allowed');
    // Node's HTTP parser knows no TRACK and answers 400 itself; the proxy would refuse it too.
    const track = await rawRequest(stack.appUrl, '/api/x', { method: 'TRACK', headers });
    assert.ok(track.status === 400 || track.status === 405, `TRACK → ${track.status}`);
    // CONNECT never reaches a request handler: Node's server closes a tunnel request nobody listens for
    // (status 0 here) or its parser refuses the path (400); the proxy would refuse it with 405.
    const connect = await rawRequest(stack.appUrl, '/api/x', { method: 'CONNECT', headers });
    assert.ok([0, 400, 405].includes(connect.status), `CONNECT → ${connect.status}`);
    assert.equal(stub.requests.length, 0);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200, 'the app keeps serving');
  });

  it("passes back no Clear-Site-Data or Refresh, and adds CSP default-src 'none' to the API's answer", async () => {
    stub.mode = {
      kind: 'json',
      headers: { 'clear-site-data': '"cookies"', refresh: '0; url=https://evil.test/' },
    };
    const res = await apiCall(browser, stack, '/x');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('clear-site-data'), null);
    assert.equal(res.headers.get('refresh'), null);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    stub.mode = { kind: 'json' };
  });

  it('answers 504 within the timeout when the API hangs, and keeps serving', async () => {
    stub.mode = { kind: 'hang' };
    const timeouts = () => counterValue('oidc_bff_api_proxy_failures_total', { code: 'upstream_timeout' });
    const timeoutsBefore = await timeouts();
    const started = Date.now();
    const res = await apiCall(browser, stack, '/slow');
    const elapsed = Date.now() - started;
    assert.equal(res.status, 504);
    assert.equal(((await res.json()) as { error: string }).error, 'upstream_timeout');
    assert.equal((await timeouts()) - timeoutsBefore, 1, 'counted once in api_proxy_failures_total');
    assert.ok(elapsed < 700 + 1000, `answered in ${elapsed} ms`);
    stub.mode = { kind: 'json' };
    assert.equal((await apiCall(browser, stack, '/ok')).status, 200);
  });

  it('aborts the upstream request when the browser goes away', async () => {
    stub.mode = { kind: 'hang' };
    stub.requests.length = 0;
    const controller = new AbortController();
    const pending = apiCall(browser, stack, '/slow', { signal: controller.signal }).catch(() => undefined);
    while (stub.requests.length === 0) await sleep(10);
    controller.abort();
    await pending;
    const deadline = Date.now() + 5_000;
    while (!stub.requests[0]?.aborted && Date.now() < deadline) await sleep(10);
    assert.equal(stub.requests[0]?.aborted, true);
    stub.mode = { kind: 'json' };
  });

  it('retries once after a forced refresh when the API says invalid_token; never loops', async () => {
    stub.mode = { kind: 'invalid_token_then_ok', failures: 1 };
    const before = refreshGrants(stack);
    const res = await apiCall(browser, stack, '/needs-fresh-token');
    assert.equal(res.status, 200);
    assert.equal(refreshGrants(stack), before + 1);
    // An API that refuses every token: the token of that forced refresh is refused too, and is not
    // force-refreshed again. Every call gets the API's 401; the provider sees no more grants.
    stub.mode = { kind: 'invalid_token_then_ok', failures: 100 };
    for (let call = 0; call < 3; call += 1) {
      assert.equal((await apiCall(browser, stack, '/needs-fresh-token')).status, 401);
    }
    assert.equal(refreshGrants(stack), before + 1, 'one forced refresh, never one per call');
    stub.mode = { kind: 'json' };
  });

  it('replays only idempotent methods after invalid_token: a small POST gets the 401, a PUT is retried', async () => {
    // A login of its own: the shared one holds a token from a forced refresh, which is never force-refreshed again.
    const browser = new Browser();
    await logIn(stack, browser);
    stub.mode = { kind: 'invalid_token_then_ok', failures: 1 };
    stub.requests.length = 0;
    const post = await apiCall(browser, stack, '/orders', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"item":"book"}',
    });
    assert.equal(post.status, 401, 'a POST may not be safe to send twice: the 401 is passed back');
    assert.equal(stub.requests.length, 1);
    assert.equal(stub.requests[0]?.body, '{"item":"book"}');

    stub.mode = { kind: 'invalid_token_then_ok', failures: 1 };
    stub.requests.length = 0;
    const put = await apiCall(browser, stack, '/orders/7', {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"item":"book"}',
    });
    assert.equal(put.status, 200, 'PUT is idempotent (RFC 9110 §9.2.2): replayed with the new token');
    assert.deepEqual(
      stub.requests.map((r) => r.body),
      ['{"item":"book"}', '{"item":"book"}'],
    );
    stub.mode = { kind: 'json' };
  });

  it('does not replay a large streamed body, and streams it through', async () => {
    stub.mode = { kind: 'invalid_token_then_ok', failures: 1 };
    stub.requests.length = 0;
    const big = 'x'.repeat(200 * 1024);
    const res = await apiCall(browser, stack, '/upload', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: big,
    });
    assert.equal(res.status, 401, 'not replayable: the 401 is passed back');
    assert.equal(stub.requests.length, 1);
    assert.equal(stub.requests[0]?.body.length, big.length);
    stub.mode = { kind: 'json' };
  });

  it('streams a large answer through intact, with backpressure', async () => {
    const bytes = 8 * 1024 * 1024 + 123;
    stub.mode = { kind: 'big', bytes };
    const res = await apiCall(browser, stack, '/export');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(bytes));
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, bytes);
    for (let offset = 0; offset < bytes; offset += 64 * 1024) {
      assert.equal(body[offset], bigPattern(offset), `byte ${offset}`);
    }
    stub.mode = { kind: 'json' };
  });

  it('cuts the browser connection when the API dies mid-answer, and keeps serving', async () => {
    stub.mode = { kind: 'partial', then: 'cut' };
    await assert.rejects(async () => {
      const res = await apiCall(browser, stack, '/dies');
      assert.equal(res.status, 200, 'the head was already passed on');
      await res.text();
    });
    stub.mode = { kind: 'json' };
    assert.equal((await apiCall(browser, stack, '/ok')).status, 200);
  });

  it('cuts an answer that stalls after its head once the idle timeout passes', async () => {
    stub.mode = { kind: 'partial', then: 'stall' };
    const started = Date.now();
    await assert.rejects(async () => {
      const res = await apiCall(browser, stack, '/stalls');
      await res.text();
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 600 && elapsed < 700 + 1000, `cut after ${elapsed} ms (API_IDLE_TIMEOUT_MS=700)`);
    stub.mode = { kind: 'json' };
    assert.equal((await apiCall(browser, stack, '/ok')).status, 200);
  });

  it('streams a long answer (server-sent events) whose chunks keep coming, past API_TIMEOUT_MS in total', async () => {
    // 8 chunks, 250 ms apart: 2 s in all, far past the 700 ms head timeout, never 700 ms idle.
    stub.mode = { kind: 'drip', chunks: 8, everyMs: 250 };
    const res = await apiCall(browser, stack, '/events');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(text.match(/^data: /gm)?.length, 8, text);
    stub.mode = { kind: 'json' };
  });

  it('lets a slow upload finish: the head timeout starts once the body is sent', async () => {
    stub.mode = { kind: 'json' };
    stub.requests.length = 0;
    const url = new URL(`${stack.appUrl}/api/upload-slow`);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method: 'POST',
          // Chunked: streamed through, never buffered for a replay.
          headers: { Host: url.host, Cookie: browser.cookiesFor(url), 'X-CSRF': '1', 'Content-Type': 'text/plain' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        sent += 1;
        if (sent <= 6) request.write(`part ${sent};`);
        else {
          clearInterval(timer);
          request.end();
        }
      }, 250);
    });
    assert.equal(status, 200);
    assert.equal(stub.requests.at(-1)?.body, 'part 1;part 2;part 3;part 4;part 5;part 6;');
  });

  it('answers Expect: 100-continue itself and does not forward it', async () => {
    stub.mode = { kind: 'json' };
    stub.requests.length = 0;
    const url = new URL(`${stack.appUrl}/api/upload-small`);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            Host: url.host,
            Cookie: browser.cookiesFor(url),
            'X-CSRF': '1',
            'Content-Type': 'application/json',
            'Content-Length': '11',
            Expect: '100-continue',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      request.on('continue', () => request.end('{"a":"bcd"}'));
      request.on('error', reject);
    });
    assert.equal(status, 200);
    const seen = stub.requests.at(-1);
    assert.equal(seen?.headers.expect, undefined);
    assert.equal(seen?.body, '{"a":"bcd"}');
  });

  it('answers 503 with Retry-After when the provider is down at refresh time, and keeps the tokens', async () => {
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    const held = await tokensOf(browser, stack);
    await stack.stopProvider();
    try {
      const res = await apiCall(browser, stack, '/x');
      assert.equal(res.status, 503);
      assert.ok(res.headers.get('retry-after'));
      assert.equal(((await res.json()) as { error: string }).error, 'provider_unavailable');
      assert.equal((await tokensOf(browser, stack))?.refreshToken, held?.refreshToken, 'tokens kept');
      // Until Retry-After has passed, the next call fails at once instead of waiting for the provider again.
      const next = await apiCall(browser, stack, '/x');
      assert.equal(next.status, 503);
      await sleep(Number(next.headers.get('retry-after')) * 1000);
    } finally {
      await stack.startProvider();
    }
    assert.equal((await apiCall(browser, stack, '/x')).status, 200, 'works again once the provider is back');
  });
});

describe('/api when the API is down', () => {
  it('answers 502 JSON when the connection is refused', async () => {
    const port = await freePort();
    const stack = await startStack({ API_BASE_URL: `http://127.0.0.1:${port}/` });
    try {
      const browser = new Browser();
      await logIn(stack, browser);
      const unreachable = () => counterValue('oidc_bff_api_proxy_failures_total', { code: 'upstream_unreachable' });
      const unreachableBefore = await unreachable();
      const res = await apiCall(browser, stack, '/appointments');
      assert.equal(res.status, 502);
      assert.equal(((await res.json()) as { error: string }).error, 'upstream_unreachable');
      assert.equal((await unreachable()) - unreachableBefore, 1, 'counted once in api_proxy_failures_total');
      assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200, 'the app still serves');
    } finally {
      await stack.close();
    }
  });
});

/** Readiness, a provider that comes up late, session lifetimes and abuse limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageLogin, logIn, sessionIdOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { sessionGet } from '../helpers/session-store.js';
import { startStack } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a provider that is down at start-up', () => {
  it('serves, answers /readyz 503 and /login with a friendly 503 page, then works once the provider is up', async () => {
    const stack = await startStack({}, { providerDown: true });
    try {
      const browser = new Browser();
      assert.equal((await browser.get(`${stack.appUrl}/healthz`)).status, 200);
      const ready = await browser.get(`${stack.appUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: { provider: string } }).checks.provider, 'unavailable');
      const login = await browser.get(`${stack.appUrl}/login`);
      assert.equal(login.status, 503);
      assert.ok(login.headers.get('retry-after'));
      const page = await browser.text(login);
      assert.match(page, /identity provider is not reachable/);
      assert.doesNotMatch(page, /ECONNREFUSED|at .+\.ts:\d+/);
      assert.equal((await browser.get(`${stack.appUrl}/`)).status, 200, 'the home page still works');

      await stack.startProvider();
      const deadline = Date.now() + 10_000;
      while ((await browser.get(`${stack.appUrl}/readyz`)).status !== 200) {
        assert.ok(Date.now() < deadline, 'ready within the backoff');
        await sleep(100);
      }
      assert.equal(await logIn(stack, browser), '/');
    } finally {
      await stack.close();
    }
  });
});

describe('session lifetimes', () => {
  it('ends an idle session after SESSION_IDLE_SECONDS', async () => {
    const stack = await startStack({ SESSION_IDLE_SECONDS: '2', SESSION_ABSOLUTE_SECONDS: '3' });
    try {
      // The login itself must fit in the idle limit (its pending state lives in the session): a first
      // login by another browser warms the provider's and the app's code paths up.
      await logIn(stack, new Browser());
      const browser = new Browser();
      await logIn(stack, browser);
      assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200);
      await sleep(2300);
      // Send the old cookie explicitly: the server, not the cookie's expiry, must end the session.
      const cookie = browser.cookiesFor(`${stack.appUrl}/`);
      const replay = new Browser();
      const res = await replay.get(`${stack.appUrl}/profile`, { headers: { cookie } });
      assert.equal(res.status, 303);
    } finally {
      await stack.close();
    }
  });

  it('ends a session after SESSION_ABSOLUTE_SECONDS however active it is', async () => {
    const stack = await startStack({ SESSION_IDLE_SECONDS: '2', SESSION_ABSOLUTE_SECONDS: '3' });
    try {
      await logIn(stack, new Browser()); // warm-up, as above
      const browser = new Browser();
      await logIn(stack, browser);
      // The lifetime counts from the login the server recorded, not from when this test saw it end.
      const data = await sessionGet(stack.services.sessionStore, sessionIdOf(browser, stack) ?? '');
      const loggedInAt = data?.authenticatedAt ?? Number.NaN;
      assert.ok(Number.isFinite(loggedInAt), 'the session records when the user logged in');
      const endsAt = loggedInAt + 3_000;

      // A request every half second, past the idle limit: each one the server answered before the
      // login was 3 s old kept the user logged in.
      let activeAfterIdleLimit = false;
      while (Date.now() < endsAt - 250) {
        const res = await browser.get(`${stack.appUrl}/profile`);
        const answeredAt = Date.now();
        if (answeredAt > endsAt) break; // answered past the end: either outcome is right
        assert.equal(res.status, 200, `still logged in ${answeredAt - loggedInAt} ms after the login`);
        activeAfterIdleLimit ||= answeredAt - loggedInAt > 2_000;
        await sleep(Math.min(500, endsAt - Date.now()));
      }
      assert.ok(activeAfterIdleLimit, 'the session stayed active longer than the idle limit');

      await sleep(Math.max(0, endsAt - Date.now()) + 100);
      const res = await browser.get(`${stack.appUrl}/profile`);
      assert.equal(res.status, 303);
      assert.match(res.headers.get('location') ?? '', /^\/login\?returnTo=/);
    } finally {
      await stack.close();
    }
  });

  it('creates no session for anonymous visitors', async () => {
    const stack = await startStack();
    try {
      const browser = new Browser();
      for (const path of ['/', '/healthz', '/profile', '/static/styles.css', '/nope']) {
        const res = await browser.get(`${stack.appUrl}${path}`);
        assert.equal(res.headers.get('set-cookie'), null, `${path} set a cookie`);
      }
    } finally {
      await stack.close();
    }
  });
});

describe('abuse limits', () => {
  it('answers 429 with Retry-After after too many logins from one client', async () => {
    const stack = await startStack({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
    try {
      const browser = new Browser();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await browser.get(`${stack.appUrl}/login`)).status);
      assert.deepEqual(statuses, [303, 303, 303, 429, 429]);
      const limited = await browser.get(`${stack.appUrl}/login`);
      assert.ok(limited.headers.get('retry-after'));
      assert.equal((await browser.get(`${stack.appUrl}/healthz`)).status, 200);
    } finally {
      await stack.close();
    }
  });
});

describe('security headers', () => {
  it('sends a nonce-based CSP that allows the provider as a form target, and no-store on pages', async () => {
    const stack = await startStack();
    try {
      const browser = new Browser();
      const first = await browser.get(`${stack.appUrl}/`);
      const second = await browser.get(`${stack.appUrl}/`);
      const csp = first.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self' 'nonce-[^']+'/);
      assert.match(csp, /object-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.ok(csp.includes(`form-action 'self' ${stack.issuer}`));
      assert.notEqual(csp, second.headers.get('content-security-policy'), 'a new nonce per response');
      assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal(first.headers.get('strict-transport-security'), null, 'no HSTS over plain http');
    } finally {
      await stack.close();
    }
  });
});

describe('session lifetimes on the /api path', () => {
  it('API calls alone keep an idle session alive (the cookie keeps rolling)', async () => {
    const stack = await startStack({ SESSION_IDLE_SECONDS: '4', SESSION_ABSOLUTE_SECONDS: '60' });
    try {
      const browser = new Browser();
      await logIn(stack, browser);
      const started = Date.now();
      let rolled = false;
      while (Date.now() - started < 6000) {
        const res = await browser.get(`${stack.appUrl}/api/me`, { headers: { 'X-CSRF': '1' } });
        assert.equal(res.status, 200);
        rolled ||= /sid=s%3A/.test(res.headers.get('set-cookie') ?? '');
        await sleep(300);
      }
      assert.ok(rolled, 'the API path re-issued the session cookie with a new expiry');
      assert.equal(
        (await browser.get(`${stack.appUrl}/profile`)).status,
        200,
        'still logged in after 6 s with a 4 s idle timeout',
      );
    } finally {
      await stack.close();
    }
  });

  it('ends the login on the API path after the absolute lifetime', async () => {
    const stack = await startStack({ SESSION_IDLE_SECONDS: '10', SESSION_ABSOLUTE_SECONDS: '10' });
    try {
      const browser = new Browser();
      await logIn(stack, browser);
      assert.equal((await browser.get(`${stack.appUrl}/api/me`, { headers: { 'X-CSRF': '1' } })).status, 200);
      // Age the login instead of waiting: the absolute lifetime counts from authenticatedAt.
      const sid = sessionIdOf(browser, stack) ?? '';
      await ageLogin(stack, browser, 11);
      const res = await browser.get(`${stack.appUrl}/api/me`, { headers: { 'X-CSRF': '1' } });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'login_required');
      assert.equal(await stack.services.tokens.peek(sid), undefined, 'tokens deleted');
      assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 303);
    } finally {
      await stack.close();
    }
  });
});

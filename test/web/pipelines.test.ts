/**
 * The /api fast path (web/api-gateway.ts) and the Express pipeline share
 * every rule through one definition each. This table runs the same rules
 * against an /api call and an Express API route (/session/info), so the two
 * paths cannot drift apart: CSRF header, rate limit, absolute lifetime,
 * rolling cookie, caching, draining at shutdown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ageLogin, logIn, sessionIdOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

const PATHS = [
  { name: 'the /api fast path', path: '/api/me' },
  { name: 'an Express route', path: '/session/info' },
] as const;

const API_BUDGET = 6;

async function call(stack: Stack, browser: Browser, path: string, csrf = true): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (csrf) headers['X-CSRF'] = '1';
  return browser.get(`${stack.appUrl}${path}`, { headers });
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}

describe('one rule table, both request pipelines', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      RATE_LIMIT_API_PER_MINUTE: String(API_BUDGET),
      SESSION_IDLE_SECONDS: '600',
      SESSION_ABSOLUTE_SECONDS: '3600',
    });
  });
  after(async () => stack.close());

  for (const { name, path } of PATHS) {
    describe(name, () => {
      it('refuses a call without X-CSRF: 1 (403 csrf_header_missing)', async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        const res = await call(stack, browser, path, false);
        assert.equal(res.status, 403);
        assert.equal(await errorOf(res), 'csrf_header_missing');
      });

      it('rolls the session cookie: a logged-in call sends it again with a fresh expiry', async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        const res = await call(stack, browser, path);
        assert.equal(res.status, 200);
        const cookie = res.headers.get('set-cookie') ?? '';
        assert.match(cookie, /^sid=s%3A/);
        const expires = Date.parse(/Expires=([^;]+)/i.exec(cookie)?.[1] ?? '');
        assert.ok(expires > Date.now() + 500_000, `expires about 600 s from now (got ${cookie})`);
        assert.match(cookie, /HttpOnly/i);
        assert.match(cookie, /SameSite=Lax/i);
      });

      it("answers Cache-Control: no-store and Vary: Cookie, so no shared cache keeps one user's answer", async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        const res = await call(stack, browser, path);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.match(res.headers.get('vary') ?? '', /\bCookie\b/i);
      });

      it('ends a login older than the absolute lifetime (401 login_required, tokens gone)', async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        const sid = sessionIdOf(browser, stack) ?? '';
        await ageLogin(stack, browser, 3601);
        const res = await call(stack, browser, path);
        assert.equal(res.status, 401);
        assert.equal(await errorOf(res), 'login_required');
        assert.equal(await stack.services.tokens.peek(sid), undefined, 'the token record is gone');
      });

      it('answers 503 shutting_down with Connection: close once the process is stopping', async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        stack.services.lifecycle.shuttingDown = true;
        try {
          const res = await call(stack, browser, path);
          assert.equal(res.status, 503);
          assert.equal(await errorOf(res), 'shutting_down');
          assert.equal(res.headers.get('connection'), 'close');
          assert.ok(res.headers.get('retry-after'));
        } finally {
          stack.services.lifecycle.shuttingDown = false;
        }
      });

      it('tells the client its rate limit (RateLimit-Policy and RateLimit, IETF draft-7)', async () => {
        const browser = new Browser();
        await logIn(stack, browser);
        const first = await call(stack, browser, path);
        const second = await call(stack, browser, path);
        assert.equal(second.status, 200);
        assert.equal(second.headers.get('ratelimit-policy'), `${API_BUDGET};w=60`);
        assert.match(
          first.headers.get('ratelimit') ?? '',
          new RegExp(`^limit=${API_BUDGET}, remaining=5, reset=\\d+$`),
        );
        assert.match(
          second.headers.get('ratelimit') ?? '',
          new RegExp(`^limit=${API_BUDGET}, remaining=4, reset=\\d+$`),
        );
      });

      it(`answers 429 rate_limited with Retry-After past ${API_BUDGET} calls a minute`, async () => {
        // Run last: it spends this path's budget for the minute. An anonymous caller suffices:
        // the limit comes before the login check, as it must (it protects the session store too).
        const browser = new Browser();
        const statuses: number[] = [];
        let limited: Response | undefined;
        for (let i = 0; i < API_BUDGET * 2 && !limited; i += 1) {
          const res = await call(stack, browser, path);
          statuses.push(res.status);
          if (res.status === 429) limited = res;
        }
        assert.ok(limited, `a 429 came within ${API_BUDGET * 2} calls (saw ${statuses.join(', ')})`);
        assert.equal(await errorOf(limited), 'rate_limited');
        assert.ok(limited.headers.get('retry-after'));
      });
    });
  }
});

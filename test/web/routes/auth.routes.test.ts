/**
 * The login flow against the real embedded provider, driven over HTTP:
 * /login → provider login + consent → /callback → session; then logout.
 */
import assert from 'node:assert/strict';
import http, { type RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { DEMO_ACCOUNTS } from '../../../src/demo/demo-accounts.js';
import { HOSTILE_RETURN_TO } from '../../oidc/return-to.test.js';
import { ALICE, BOB, logIn, logoutFormToken, sessionIdOf, tokensOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { loginAtProvider } from '../../helpers/provider-login.js';
import { startStack, type Stack } from '../../helpers/stack.js';

let stack: Stack;
/** Every token the run produced, to prove none ever reached the browser or the logs. */
const seenTokens = new Set<string>();
const browsers: Browser[] = [];

function newBrowser(): Browser {
  const browser = new Browser();
  browsers.push(browser);
  return browser;
}

async function rememberTokens(browser: Browser): Promise<void> {
  const tokens = await tokensOf(browser, stack);
  for (const value of [tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) if (value) seenTokens.add(value);
}

/** Starts a login and returns the authorize URL the app redirected to. */
async function startLogin(browser: Browser, query = ''): Promise<URL> {
  const res = await browser.get(`${stack.appUrl}/login${query}`);
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location') ?? '');
}

function grants(type: string): number {
  return stack.provider.stats.grants[type] ?? 0;
}

before(async () => {
  // A short provider timeout for the slow-token-endpoint drill below; the embedded provider answers in milliseconds.
  // These tests read the authorization request in the browser's URL; test/oidc/par.test.ts covers PAR.
  stack = await startStack({ LOGIN_TIMEOUT_SECONDS: '600', OIDC_TIMEOUT_SECONDS: '2', OIDC_PAR: 'off' });
});

after(async () => {
  await stack.close();
});

describe('GET /login', () => {
  it('redirects to the provider with code flow, state, nonce, an S256 challenge and the API resource', async () => {
    const url = await startLogin(newBrowser());
    assert.equal(url.origin, stack.issuer);
    const p = url.searchParams;
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), stack.config.oidc.clientId);
    assert.equal(p.get('redirect_uri'), `${stack.appUrl}/callback`);
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.match(p.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(p.get('state') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(p.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get('scope'), stack.config.oidc.scope);
    assert.match(p.get('scope') ?? '', /offline_access/);
    assert.equal(p.get('resource'), 'https://demo-api.example/');
    assert.equal(p.get('prompt'), 'consent');
  });

  it('uses fresh state, nonce and challenge for every login', async () => {
    const browser = newBrowser();
    const values = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const p = (await startLogin(browser)).searchParams;
      for (const name of ['state', 'nonce', 'code_challenge']) values.add(p.get(name) ?? '');
    }
    assert.equal(values.size, 15);
  });

  it('passes organization, invitation, prompt and login_hint through an allowlist only', async () => {
    const url = await startLogin(
      newBrowser(),
      '?organization=org_123&invitation=inv_9&prompt=login&login_hint=alice%40example.com&redirect_uri=https://evil.test&client_id=x&scope=admin',
    );
    const p = url.searchParams;
    assert.equal(p.get('organization'), 'org_123');
    assert.equal(p.get('invitation'), 'inv_9');
    // Merged with the configured prompt, never replacing it: the demo needs consent for a refresh token.
    assert.equal(p.get('prompt'), 'login consent');
    assert.equal(p.get('login_hint'), 'alice@example.com');
    assert.equal(p.get('redirect_uri'), `${stack.appUrl}/callback`);
    assert.equal(p.get('client_id'), stack.config.oidc.clientId);
    assert.equal(p.get('scope'), stack.config.oidc.scope);
  });

  it('builds redirect_uri from BASE_URL, never from Host or X-Forwarded-Host', async () => {
    const port = new URL(stack.appUrl).port;
    const location = await new Promise<string>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/login',
            headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
          },
          (res) => {
            res.resume();
            resolve(String(res.headers.location));
          },
        )
        .on('error', reject);
    });
    assert.equal(new URL(location).searchParams.get('redirect_uri'), `${stack.appUrl}/callback`);
  });

  it('sends the Auth0-style audience when OIDC_AUDIENCE is configured', async () => {
    const auth0Style = await startStack({
      OIDC_AUDIENCE: 'https://demo-api.example/',
      OIDC_AUTH_METHOD: 'client_secret_post',
      OIDC_PAR: 'off',
    });
    try {
      const browser = new Browser();
      const res = await browser.get(`${auth0Style.appUrl}/login`);
      const url = new URL(res.headers.get('location') ?? '');
      assert.equal(url.searchParams.get('audience'), 'https://demo-api.example/');
      assert.equal(url.searchParams.get('resource'), null);
      // And the whole flow works with client_secret_post at the token endpoint.
      assert.equal(await logIn(auth0Style, browser, ALICE), '/');
      const tokens = await tokensOf(browser, auth0Style);
      assert.ok(tokens);
      const claims = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1] ?? '', 'base64url').toString()) as {
        aud: unknown;
      };
      assert.equal(claims.aud, 'https://demo-api.example/');
    } finally {
      await auth0Style.close();
    }
  });
});

describe('a full login', () => {
  for (const account of DEMO_ACCOUNTS) {
    it(`signs ${account.name} in and shows the profile`, async () => {
      const browser = newBrowser();
      assert.equal(await logIn(stack, browser, account, '/profile'), '/profile');
      const res = await browser.get(`${stack.appUrl}/profile`);
      assert.equal(res.status, 200);
      const page = await browser.text(res);
      assert.ok(page.includes(account.name));
      assert.ok(page.includes(account.email));
      const tokens = await tokensOf(browser, stack);
      assert.ok(
        tokens?.accessToken && tokens.refreshToken && tokens.idToken,
        'access, refresh and ID token are held server-side',
      );
      await rememberTokens(browser);
    });
  }

  it('gives the browser a new session id at login (fixation) and HttpOnly, SameSite=Lax cookie flags', async () => {
    const browser = newBrowser();
    await startLogin(browser);
    const before = sessionIdOf(browser, stack);
    assert.ok(before, 'a session exists while the login is pending');
    const loginResponse = browser.log.find((e) => e.url.startsWith(`${stack.appUrl}/login`));
    const setCookie = loginResponse?.headers['set-cookie'] ?? '';
    assert.match(setCookie, /^sid=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.match(setCookie, /Path=\//);
    assert.doesNotMatch(setCookie, /Domain=/i);
    await logIn(stack, browser);
    const afterLogin = sessionIdOf(browser, stack);
    assert.ok(afterLogin);
    assert.notEqual(afterLogin, before);
    // The pre-login id is dead: a browser replaying it is anonymous.
    const attacker = newBrowser();
    const oldCookie = `sid=${encodeURIComponent(`s:${before}`)}`;
    const res = await attacker.get(`${stack.appUrl}/profile`, { headers: { cookie: oldCookie } });
    assert.equal(res.status, 303);
    await rememberTokens(browser);
  });

  it('replaces the previous user when someone else logs in in the same browser', async () => {
    const browser = newBrowser();
    await logIn(stack, browser, ALICE);
    const aliceSession = sessionIdOf(browser, stack);
    // The provider still has Alice's session: ask it to show the login form again.
    await logIn(stack, browser, BOB, undefined, { prompt: 'login consent' });
    const page = await browser.text(await browser.get(`${stack.appUrl}/profile`));
    assert.ok(page.includes(BOB.name));
    assert.ok(!page.includes(ALICE.email));
    assert.equal(await stack.services.tokens.peek(aliceSession ?? ''), undefined, "Alice's tokens are gone");
    await rememberTokens(browser);
  });

  it('goes back to a same-origin returnTo and refuses open redirects', async () => {
    const browser = newBrowser();
    assert.equal(await logIn(stack, browser, ALICE, '/console?tab=1'), '/console?tab=1');
    for (const payload of HOSTILE_RETURN_TO.slice(0, 8)) {
      const target = await logIn(stack, newBrowser(), ALICE, payload);
      assert.equal(target, '/', `returnTo ${JSON.stringify(payload)} ended at ${target}`);
    }
  });

  it('lets two tabs log in at once: both end logged in, never on an error', async () => {
    const browser = newBrowser();
    const first = await startLogin(browser);
    const second = await startLogin(browser);
    assert.notEqual(first.searchParams.get('state'), second.searchParams.get('state'));
    // Finish the second tab first, then the first one.
    const { loginAtProvider } = await import('../../helpers/provider-login.js');
    const b = await loginAtProvider(browser, second.href, { login: BOB.login, password: BOB.password });
    assert.equal(b.response.status, 200, b.urls.join(' → '));
    const a = await loginAtProvider(browser, first.href, { login: ALICE.login, password: ALICE.password });
    assert.equal(a.response.status, 200, a.urls.join(' → '));
    const page = await browser.text(await browser.get(`${stack.appUrl}/profile`));
    assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200);
    assert.ok(page.includes(ALICE.name) || page.includes(BOB.name));
  });
});

describe('GET /callback refuses what it must', () => {
  async function callback(browser: Browser, query: string): Promise<{ status: number; body: string }> {
    const res = await browser.get(`${stack.appUrl}/callback${query}`);
    return { status: res.status, body: await browser.text(res) };
  }

  async function assertRefused(browser: Browser, query: string, code: string): Promise<void> {
    const grantsBefore = grants('authorization_code');
    const { status, body } = await callback(browser, query);
    assert.equal(status, 400, `${query} → ${status}`);
    assert.ok(body.includes(code), `page names the error code ${code}`);
    assert.equal(grants('authorization_code'), grantsBefore, 'no token request was made');
    assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 303, 'no logged-in session');
  }

  it('a missing state', async () => {
    await assertRefused(newBrowser(), '?code=abc', 'missing_state');
  });

  it('a state this browser never issued (CSRF / mismatched)', async () => {
    const browser = newBrowser();
    await startLogin(browser);
    await assertRefused(browser, '?code=abc&state=forged-state-value', 'invalid_state');
  });

  it("another browser's state", async () => {
    const victim = newBrowser();
    const state = (await startLogin(victim)).searchParams.get('state') ?? '';
    await assertRefused(newBrowser(), `?code=abc&state=${state}`, 'invalid_state');
  });

  it('duplicated parameters', async () => {
    const browser = newBrowser();
    const state = (await startLogin(browser)).searchParams.get('state') ?? '';
    await assertRefused(browser, `?code=a&code=b&state=${state}&state=${state}`, 'duplicate_parameter');
  });

  it('a missing code', async () => {
    const browser = newBrowser();
    const state = (await startLogin(browser)).searchParams.get('state') ?? '';
    await assertRefused(browser, `?state=${state}`, 'missing_code');
  });

  it('a replayed callback: the code and state work once', async () => {
    const browser = newBrowser();
    await logIn(stack, browser);
    const used = browser.log.find((e) => e.url.startsWith(`${stack.appUrl}/callback`))?.url ?? '';
    const grantsBefore = grants('authorization_code');
    const replay = newBrowser();
    const res = await replay.get(used);
    assert.equal(res.status, 400);
    assert.equal(grants('authorization_code'), grantsBefore);
    // Even in the browser that used it: the state is spent, the session unharmed.
    const again = await browser.get(used);
    assert.equal(again.status, 400);
    assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200, 'the existing session survives');
  });

  it('a token endpoint too slow at the code exchange: a bounded wait, a 504 page, exactly one token request', async () => {
    const browser = newBrowser();
    const isCallback = (url: URL) => url.href.startsWith(`${stack.appUrl}/callback`);
    const { stoppedAt } = await loginAtProvider(browser, `${stack.appUrl}/login`, {
      login: ALICE.login,
      password: ALICE.password,
      stopAt: isCallback,
    });
    assert.ok(stoppedAt, 'the provider sent the browser back with a code');
    let tokenRequests = 0;
    let slow = true;
    // In front of the provider's HTTP handler: hold the token request past OIDC_TIMEOUT_SECONDS, then let it through.
    const handlers = stack.providerServer.listeners('request') as RequestListener[];
    const handle: RequestListener = (req, res) => handlers.forEach((h) => h(req, res));
    stack.providerServer.removeAllListeners('request');
    stack.providerServer.on('request', (req, res) => {
      if (slow && req.method === 'POST' && req.url?.startsWith('/token')) {
        tokenRequests += 1;
        setTimeout(() => handle(req, res), 3500);
      } else handle(req, res);
    });
    try {
      const started = Date.now();
      const res = await browser.get(stoppedAt);
      const body = await browser.text(res);
      assert.equal(res.status, 504, body.slice(0, 300));
      assert.ok(Date.now() - started < 3500, 'the app stopped waiting before the provider answered');
      assert.match(body, /provider_timeout/);
      assert.match(body, /href="\/login"/, 'the page offers to sign in again');
      assert.equal(tokenRequests, 1, 'one token request: a code is single-use, so it is never retried');
      // Reloading the callback does not spend the code again: the state is gone.
      const again = await browser.get(stoppedAt);
      assert.equal(again.status, 400);
      assert.equal(tokenRequests, 1);
      assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 303, 'not logged in');
    } finally {
      slow = false;
      stack.providerServer.removeAllListeners('request');
      for (const h of handlers) stack.providerServer.on('request', h);
    }
  });

  it('a mix-up: an iss that is not our provider (RFC 9207)', async () => {
    const browser = newBrowser();
    const authorize = await startLogin(browser);
    const state = authorize.searchParams.get('state') ?? '';
    const grantsBefore = grants('authorization_code');
    const { status, body } = await callback(
      browser,
      `?code=abc&state=${state}&iss=${encodeURIComponent('https://evil.example')}`,
    );
    assert.equal(status, 400);
    assert.ok(body.includes('token_exchange_failed') || body.includes('invalid'), body.slice(0, 200));
    assert.equal(grants('authorization_code'), grantsBefore);
  });

  it('an expired login transaction', async () => {
    const short = await startStack({ LOGIN_TIMEOUT_SECONDS: '1', OIDC_PAR: 'off' });
    try {
      const browser = new Browser();
      const res = await browser.get(`${short.appUrl}/login`);
      const state = new URL(res.headers.get('location') ?? '').searchParams.get('state');
      await new Promise((r) => setTimeout(r, 1200));
      const late = await browser.get(`${short.appUrl}/callback?code=abc&state=${state}`);
      assert.equal(late.status, 400);
      assert.ok((await browser.text(late)).includes('login_expired'));
    } finally {
      await short.close();
    }
  });

  it('shows the provider error page with the escaped description when the user denies consent', async () => {
    const browser = newBrowser();
    const { loginAtProvider } = await import('../../helpers/provider-login.js');
    const result = await loginAtProvider(browser, `${stack.appUrl}/login`, {
      login: ALICE.login,
      password: ALICE.password,
      consent: 'deny',
    });
    assert.equal(result.response.status, 400);
    const body = browser.log.at(-1)?.body ?? '';
    assert.ok(body.includes('access_denied'));
    assert.ok(body.includes('Sign-in was not completed'));
    assert.ok(body.includes('href="/login"'), 'offers to try again');
  });

  it('escapes a hostile error_description', async () => {
    const browser = newBrowser();
    const state = (await startLogin(browser)).searchParams.get('state') ?? '';
    const { body } = await callback(
      browser,
      `?error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}&state=${state}`,
    );
    assert.ok(!body.includes('<script>alert(1)</script>'));
    assert.ok(body.includes('&lt;script&gt;'));
  });
});

describe('logout', () => {
  it('GET /logout shows a confirmation form; it changes nothing', async () => {
    const browser = newBrowser();
    await logIn(stack, browser);
    const res = await browser.get(`${stack.appUrl}/logout`);
    assert.equal(res.status, 200);
    const page = await browser.text(res);
    assert.match(page, /<form method="post" action="\/logout"/);
    assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200);
  });

  it('POST /logout without the form token or from another site is refused', async () => {
    const browser = newBrowser();
    await logIn(stack, browser);
    const noToken = await browser.post(`${stack.appUrl}/logout`, {});
    assert.equal(noToken.status, 403);
    const csrf = await logoutFormToken(browser, stack);
    const crossSite = await browser.post(
      `${stack.appUrl}/logout`,
      { csrf },
      { headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } },
    );
    assert.equal(crossSite.status, 403);
    assert.equal((await browser.get(`${stack.appUrl}/profile`)).status, 200, 'still logged in');
  });

  it('destroys the session, revokes the refresh token and ends the provider session', async () => {
    const browser = newBrowser();
    await logIn(stack, browser);
    const held = await tokensOf(browser, stack);
    assert.ok(held?.refreshToken && held.idToken);
    const sid = sessionIdOf(browser, stack);
    const csrf = await logoutFormToken(browser, stack);
    // What Chromium sends for our form under Referrer-Policy: no-referrer.
    const res = await browser.post(
      `${stack.appUrl}/logout`,
      { csrf },
      { headers: { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' } },
    );
    assert.equal(res.status, 303);
    const endSession = new URL(res.headers.get('location') ?? '');
    assert.equal(endSession.origin, stack.issuer);
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${stack.appUrl}/`);
    assert.ok(endSession.searchParams.get('state'));
    assert.equal(endSession.searchParams.get('client_id'), stack.config.oidc.clientId);
    assert.equal(endSession.searchParams.get('id_token_hint'), null, 'no token in a URL we generate');
    assert.match(res.headers.get('set-cookie') ?? '', /sid=;/);
    assert.equal(await stack.services.tokens.peek(sid ?? ''), undefined);
    // The old cookie is anonymous now.
    const replay = newBrowser();
    const old = await replay.get(`${stack.appUrl}/profile`, {
      headers: { cookie: `sid=${encodeURIComponent(`s:${sid}`)}` },
    });
    assert.equal(old.status, 303);
    // RFC 7009: the provider refuses the revoked refresh token.
    const configuration = stack.services.provider.get();
    await assert.rejects(client.refreshTokenGrant(configuration, held.refreshToken), (err: unknown) => {
      assert.ok(err instanceof client.ResponseBodyError);
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
  });
});

describe('the app keeps its promises', () => {
  it('serves health and readiness probes', async () => {
    const browser = newBrowser();
    assert.deepEqual(await (await browser.get(`${stack.appUrl}/healthz`)).json(), { status: 'ok' });
    const ready = await browser.get(`${stack.appUrl}/readyz`);
    assert.equal(ready.status, 200);
  });

  it('keeps serving after hostile input', async () => {
    const browser = newBrowser();
    const hostile = [
      '/callback?state=%ff%fe',
      '/callback?code[]=a&state[]=b',
      '/login?returnTo=%E0%A4%A',
      '/profile%00',
      `/login?returnTo=${'a'.repeat(5000)}`,
      '/%2e%2e/%2e%2e/etc/passwd',
      '/callback?error=x&error=y',
    ];
    for (const path of hostile) {
      const res = await browser.get(`${stack.appUrl}${path}`);
      assert.ok(res.status < 500, `${path} → ${res.status}`);
      const body = await browser.text(res);
      assert.ok(!/\bat .+\.(ts|js):\d+/.test(body), `no stack trace for ${path}`);
    }
    const huge = await browser.get(`${stack.appUrl}/`, { headers: { cookie: `sid=${'x'.repeat(7000)}` } });
    assert.ok(huge.status < 500);
    assert.equal((await browser.get(`${stack.appUrl}/healthz`)).status, 200);
  });

  it('never lets a token reach a browser (bodies, headers, cookies) or the logs', async () => {
    assert.ok(seenTokens.size >= 6, `collected ${seenTokens.size} tokens`);
    const logText = stack.logs.join('\n');
    for (const browser of browsers) {
      const transcript = browser.log
        .filter((e) => e.url.startsWith(stack.appUrl))
        .map((e) => `${e.url}\n${JSON.stringify(e.headers)}\n${e.body ?? ''}`)
        .join('\n');
      for (const token of seenTokens) {
        assert.ok(!transcript.includes(token), 'a token appeared in a response to the browser');
        assert.ok(!logText.includes(token), 'a token appeared in the logs');
      }
      assert.ok(!/"(access_token|refresh_token|id_token)"/.test(transcript));
    }
    assert.ok(!/[?&]code=/.test(logText), 'no authorization code in the logs');
    assert.ok(!/sid=s%3A/.test(logText), 'no session cookie in the logs');
  });
});

describe('a plain OpenID provider (no resource, no audience) with UserInfo', () => {
  it('logs in outside demo mode and shows UserInfo claims on the profile', async () => {
    const plain = await startStack(
      {},
      { asRealProvider: { OIDC_USERINFO: 'true', OIDC_SCOPE: 'openid profile email offline_access' } },
    );
    try {
      assert.equal(plain.config.demo, null);
      assert.equal(plain.config.oidc.resource, undefined);
      const browser = new Browser();
      const authorize = new URL((await browser.get(`${plain.appUrl}/login`)).headers.get('location') ?? '');
      assert.equal(authorize.searchParams.get('resource'), null);
      assert.equal(await logIn(plain, browser, BOB), '/');
      const page = await browser.text(await browser.get(`${plain.appUrl}/profile`));
      assert.match(page, /UserInfo claims/);
      assert.ok(page.includes(BOB.email));
      assert.doesNotMatch(page, /Demo mode/);
    } finally {
      await plain.close();
    }
  });

  it('keeps the login when UserInfo refuses an API-audience token', async () => {
    const withApi = await startStack({ OIDC_USERINFO: 'true' });
    try {
      const browser = new Browser();
      assert.equal(await logIn(withApi, browser, ALICE), '/');
      const page = await browser.text(await browser.get(`${withApi.appUrl}/profile`));
      assert.ok(page.includes(ALICE.name));
      assert.match(page, /UserInfo was not available/);
    } finally {
      await withApi.close();
    }
  });
});

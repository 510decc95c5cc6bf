/**
 * The Machine-to-machine page and POST /m2m/call on the whole demo stack (app,
 * embedded provider, demo API) over real HTTP, plus the demo API's refusal of
 * the wrong kind of token on each side.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEMO_API_AUDIENCE,
  DEMO_M2M_CLIENT,
  DEMO_M2M_SCOPE,
  DEMO_MANAGEMENT_AUDIENCE,
  DEMO_MANAGEMENT_SCOPE,
} from '../../../src/config/config.js';
import { ClientCredentialsTokens } from '../../../src/m2m/client.js';
import { logIn, tokensOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { mountM2mRoutes, type M2mMount } from '../../helpers/m2m-app.js';
import { parseForm } from '../../helpers/provider-login.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import { createApp } from '../../../src/web/app.js';
import { freePort } from '../../helpers/free-port.js';

interface CallResponse {
  result?: { status: number; ok: boolean; body: Record<string, unknown>; retried: boolean };
  cache: {
    stats: Record<string, number>;
    settings: Record<string, unknown>;
    entries: Array<{
      audience?: string;
      grantedScopes: string[];
      status: string;
      expiresInSeconds: number;
      ageSeconds: number;
    }>;
  };
  error?: string;
  error_description?: string;
}

describe('Machine-to-machine page', () => {
  let stack: Stack;
  let m2m: ClientCredentialsTokens;
  let mount: M2mMount;
  const browser = new Browser();
  const anonymous = new Browser();
  const m2mGrants = () => stack.provider.stats.grantsByClient[DEMO_M2M_CLIENT.clientId]?.['client_credentials'] ?? 0;
  const call = (who: Browser, headers: Record<string, string> = { 'X-CSRF': '1', Accept: 'application/json' }) =>
    who.request(`${stack.appUrl}/m2m/call`, { method: 'POST', headers });
  /** Reads the body through the browser so that it is kept in its log (searched for the token below). */
  const json = async <T>(who: Browser, response: Response): Promise<T> => JSON.parse(await who.text(response)) as T;

  before(async () => {
    stack = await startStack();
    assert.ok(stack.config.m2m);
    m2m = new ClientCredentialsTokens({ ...stack.config.m2m, timeoutSeconds: 5, logger: stack.services.logger });
    mount = mountM2mRoutes(stack, m2m);
  });
  after(() => stack.close());

  test('anonymous visitors are sent to log in and cannot trigger a token request', async () => {
    const page = await anonymous.get(`${stack.appUrl}/m2m`);
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?returnTo=%2Fm2m');
    const posted = await call(anonymous);
    assert.equal(posted.status, 401);
    assert.equal(((await posted.json()) as { error: string }).error, 'login_required');
    assert.equal(m2mGrants(), 0);
    assert.equal(m2m.stats().tokenRequests, 0);
  });

  test('the page renders with the layout and shows the configuration, before any token request', async () => {
    await logIn(stack, browser);
    const response = await browser.get(`${stack.appUrl}/m2m`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const html = await browser.text(response);
    assert.match(html, /<title>Machine-to-machine · OIDC BFF reference<\/title>/);
    assert.match(html, /<a href="\/m2m" aria-current="page">/);
    assert.match(html, /No token yet: the first call fetches one\./);
    assert.match(html, new RegExp(`<code>${DEMO_M2M_CLIENT.clientId}</code>`));
    assert.match(html, /<code>client_secret_post<\/code>/);
    assert.match(html, new RegExp(`<code>audience=${DEMO_API_AUDIENCE}</code>`));
    assert.match(html, /https:\/\/\{domain\}\/api\/v2\//);
    assert.match(html, /https:\/\/default\.logto\.app\/api/);
    // The script is a static file carrying this response's CSP nonce.
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
    assert.ok(nonce);
    assert.ok(html.includes(`<script nonce="${nonce}" src="/static/m2m.js"></script>`));
    assert.ok(!html.includes(DEMO_M2M_CLIENT.clientSecret));
    assert.equal(m2mGrants(), 0, 'showing the page requests no token');
  });

  test('POST /m2m/call (script, X-CSRF: 1) calls GET /reports/daily with a cached token', async () => {
    const first = await call(browser);
    assert.equal(first.status, 200);
    const one = await json<CallResponse>(browser, first);
    assert.equal(one.result?.status, 200);
    assert.equal(one.result?.body['generatedFor'], DEMO_M2M_CLIENT.clientId);
    assert.equal(one.cache.stats['tokenRequests'], 1);
    assert.equal(one.cache.entries.length, 1);
    assert.deepEqual(one.cache.entries[0]?.grantedScopes, [DEMO_M2M_SCOPE]);
    assert.equal(one.cache.entries[0]?.audience, DEMO_API_AUDIENCE);
    assert.equal(one.cache.entries[0]?.status, 'fresh');
    assert.ok(!('clientSecret' in one.cache.settings));

    const second = await json<CallResponse>(browser, await call(browser));
    assert.equal(second.result?.status, 200);
    assert.equal(second.cache.stats['tokenRequests'], 1);
    assert.equal(second.cache.stats['cacheHits'], 1);
    assert.equal(m2mGrants(), 1, 'one token request at the provider for both calls');
  });

  test('without script: the form with the session CSRF token re-renders the page with the result', async () => {
    const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
    const form = parseForm(html, (f) => f.action === '/m2m/call');
    assert.ok(form.fields['csrf']);
    const response = await browser.post(`${stack.appUrl}/m2m/call`, form.fields, {
      headers: { Origin: new URL(stack.appUrl).origin },
    });
    assert.equal(response.status, 200);
    const page = await browser.text(response);
    assert.match(page, /HTTP 200/);
    assert.match(page, /&#34;generatedFor&#34;: &#34;demo-reports-service&#34;/);
    assert.match(page, /<dd data-stat="tokenRequests">1<\/dd>/);
    assert.match(page, /<dd data-stat="cacheHits">2<\/dd>/);
  });

  test('CSRF: no header and no form token, a wrong header, or a cross-site form are refused', async () => {
    const before = m2m.stats();
    const bare = await browser.request(`${stack.appUrl}/m2m/call`, {
      method: 'POST',
      headers: { Accept: 'application/json' },
    });
    assert.equal(bare.status, 403);
    assert.equal(((await bare.json()) as { error: string }).error, 'csrf_check_failed');
    const wrongHeader = await call(browser, { 'X-CSRF': '0', Accept: 'application/json' });
    assert.equal(wrongHeader.status, 403);
    assert.equal(((await wrongHeader.json()) as { error: string }).error, 'csrf_header_missing');
    const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
    const form = parseForm(html, (f) => f.action === '/m2m/call');
    const crossSite = await browser.post(`${stack.appUrl}/m2m/call`, form.fields, {
      headers: { Origin: 'https://evil.example' },
    });
    assert.equal(crossSite.status, 403);
    assert.deepEqual(m2m.stats(), before, 'no refused request reached the token provider');
  });

  test('the page and the JSON never contain the token', async () => {
    const token = (await m2m.getToken()).accessToken;
    const page = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
    assert.match(page, /<dd data-stat="tokenRequests">1<\/dd>/);
    for (const entry of browser.log) {
      assert.ok(!(entry.body ?? '').includes(token), `token found in ${entry.method} ${entry.url}`);
    }
    assert.ok(!browser.transcript().includes(token));
    assert.ok(!stack.logs.join('\n').includes(token), 'nor do the logs');
  });

  test('a token error is shown as a typed error, without the secret', async () => {
    const secret = 'route-test-wrong-secret-42';
    mount.use(new ClientCredentialsTokens({ ...stack.config.m2m!, clientSecret: secret, timeoutSeconds: 5 }));
    try {
      const failed = await call(browser);
      assert.equal(failed.status, 502);
      const body = await json<CallResponse>(browser, failed);
      assert.equal(body.error, 'm2m_invalid_client');
      assert.match(body.error_description ?? '', /M2M_CLIENT_SECRET/);
      assert.equal(body.cache.stats['failures'], 1);

      const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
      const form = parseForm(html, (f) => f.action === '/m2m/call');
      const page = await browser.post(`${stack.appUrl}/m2m/call`, form.fields, {
        headers: { Origin: new URL(stack.appUrl).origin },
      });
      assert.equal(page.status, 502);
      const text = await browser.text(page);
      assert.match(text, /<strong>m2m_invalid_client<\/strong>/);
      assert.ok(!browser.transcript().includes(secret));
      assert.ok(!stack.logs.join('\n').includes(secret));
    } finally {
      mount.use(m2m);
    }
  });

  test('an unreachable provider or API is shown without internal addresses or socket codes', async () => {
    if (!(await tokensOf(browser, stack))) await logIn(stack, browser);
    const closed = await freePort();
    const faults: Array<[string, () => void]> = [
      [
        'provider down',
        () =>
          mount.use(
            new ClientCredentialsTokens({
              ...stack.config.m2m!,
              issuer: new URL(`http://127.0.0.1:${closed}/`),
              timeoutSeconds: 2,
            }),
          ),
      ],
      [
        'API down',
        () => {
          const config = {
            ...stack.config,
            api: { ...stack.config.api, baseUrl: new URL(`http://127.0.0.1:${closed}/`) },
          };
          const app = createApp({ ...stack.services, config, m2m });
          stack.appServer.removeAllListeners('request');
          stack.appServer.on('request', (req, res) => app(req, res));
        },
      ],
    ];
    try {
      for (const [name, breakIt] of faults) {
        breakIt();
        const failed = await call(browser);
        assert.ok(failed.status >= 500, `${name}: ${failed.status}`);
        const body = await json<CallResponse & { details?: unknown }>(browser, failed);
        const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
        const form = parseForm(html, (f) => f.action === '/m2m/call');
        const page = await browser.text(
          await browser.post(`${stack.appUrl}/m2m/call`, form.fields, {
            headers: { Origin: new URL(stack.appUrl).origin },
          }),
        );
        // The page's error line and its output box (the configuration panel names the issuer by design).
        const pageError = [
          /<strong>m2m_[a-z_]+<\/strong>:[^<]*/.exec(page)?.[0],
          /id="m2m-output">([^<]*)/.exec(page)?.[1],
        ];
        assert.ok(pageError[0], `${name}: the page shows the error`);
        for (const shown of [body.error_description, JSON.stringify(body.details), ...pageError]) {
          assert.ok(!String(shown).includes(String(closed)), `${name}: an internal address is shown: ${shown}`);
          assert.ok(!/ECONNREFUSED|UND_ERR|socket/i.test(String(shown)), `${name}: a socket code is shown: ${shown}`);
        }
      }
    } finally {
      mount = mountM2mRoutes(stack, m2m);
    }
  });

  test('without M2M configuration the page explains the variables and the call is a 404', async () => {
    mount.use(null);
    try {
      const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
      assert.match(html, /Machine-to-machine calls are not configured/);
      const response = await call(browser);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: string }).error, 'm2m_not_configured');
    } finally {
      mount.use(m2m);
    }
  });

  test('the API refuses an M2M token on a user route and a user token on the M2M route', async () => {
    const machine = (await m2m.getToken()).accessToken;
    const userRoute = await fetch(`${stack.apiUrl}/appointments`, { headers: { Authorization: `Bearer ${machine}` } });
    assert.equal(userRoute.status, 403);
    assert.equal(((await userRoute.json()) as { error: string }).error, 'user_token_required');

    const user = (await tokensOf(browser, stack))?.accessToken;
    assert.ok(user, 'the logged-in session holds a user access token');
    const machineRoute = await fetch(`${stack.apiUrl}/reports/daily`, { headers: { Authorization: `Bearer ${user}` } });
    assert.equal(machineRoute.status, 403);
    assert.equal(((await machineRoute.json()) as { error: string }).error, 'machine_token_required');
    // The same user token is fine on its own routes.
    const appointments = await fetch(`${stack.apiUrl}/appointments`, { headers: { Authorization: `Bearer ${user}` } });
    assert.equal(appointments.status, 200);
  });

  test('POST /m2m/call?api=management calls the management API with a token for its own audience and scopes', async () => {
    const res = await browser.request(`${stack.appUrl}/m2m/call?api=management`, {
      method: 'POST',
      headers: { 'X-CSRF': '1', Accept: 'application/json' },
    });
    assert.equal(res.status, 200);
    const body = await json<CallResponse>(browser, res);
    assert.equal(body.result?.status, 200);
    // The client list of the demo management API, which takes only machine tokens with read:clients.
    assert.ok(Array.isArray(body.result?.body));
    assert.ok(
      body.cache.entries.some(
        (entry) => entry.grantedScopes.join(' ') === DEMO_MANAGEMENT_SCOPE && entry.audience === undefined,
      ),
      `a cache entry for ${DEMO_MANAGEMENT_AUDIENCE} with its own scopes`,
    );
    const unknown = await browser.request(`${stack.appUrl}/m2m/call?api=nope`, {
      method: 'POST',
      headers: { 'X-CSRF': '1', Accept: 'application/json' },
    });
    assert.equal(unknown.status, 404);
  });
});

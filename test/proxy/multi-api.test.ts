/**
 * Several APIs behind one login, with the real embedded provider: each API gets its own access
 * token (its own `aud`, only its own scopes), client APIs get the app's token and user APIs the
 * user's, expiry of both makes one grant per API, and an API the provider refuses is a 403 for
 * that API only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  DEMO_API_AUDIENCE,
  DEMO_M2M_CLIENT,
  DEMO_MANAGEMENT_AUDIENCE,
  DEMO_MANAGEMENT_SCOPE,
} from '../../src/config/config.js';
import { ALICE, apiCall, logIn, sessionIdOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { startStack, type Stack } from '../helpers/stack.js';

const BILLING = 'https://billing.demo-api.example/';

function tokenClaims(api: RecordingApi): ReturnType<typeof decodeJwt> {
  const authorization = api.requests.at(-1)?.headers.authorization ?? '';
  assert.match(authorization, /^Bearer /);
  return decodeJwt(authorization.slice('Bearer '.length));
}

/** Makes every access token of the session look expired to the app (the provider still takes them). */
async function expireAllAccessTokens(stack: Stack, sessionId: string): Promise<void> {
  const tokens = await stack.services.tokens.peek(sessionId);
  assert.ok(tokens);
  const past = Date.now() - 1000;
  const apiTokens = Object.fromEntries(
    Object.entries(tokens.apiTokens ?? {}).map(([name, token]) => [name, { ...token, expiresAt: past }]),
  );
  await stack.services.tokens.saveLogin(sessionId, {
    ...tokens,
    expiresAt: past,
    apiTokens,
    version: tokens.version + 1,
  });
}

describe('several APIs, one login', () => {
  let stack: Stack;
  let main: RecordingApi;
  let billing: RecordingApi;
  let audit: RecordingApi;
  let refused: RecordingApi;
  let mixed: RecordingApi;
  const browser = new Browser();

  before(async () => {
    [main, billing, audit, refused, mixed] = await Promise.all([
      startRecordingApi(),
      startRecordingApi(),
      startRecordingApi(),
      startRecordingApi(),
      startRecordingApi(),
    ]);
    stack = await startStack(
      {
        API_BASE_URL: main.url,
        API_BILLING_BASE_URL: billing.url,
        API_BILLING_RESOURCE: BILLING,
        API_BILLING_SCOPE: 'read:invoices',
        // The app's own token, for the demo API's machine scope.
        API_AUDIT_BASE_URL: audit.url,
        API_AUDIT_RESOURCE: DEMO_API_AUDIENCE,
        API_AUDIT_SCOPE: 'read:reports',
        API_AUDIT_TOKEN: 'client',
        // A scope the provider never granted this login: the grant for it is refused.
        API_SECRETS_BASE_URL: refused.url,
        API_SECRETS_RESOURCE: BILLING,
        API_SECRETS_SCOPE: 'read:secrets',
        // The user's token with a login, else the app's.
        API_MIXED_BASE_URL: mixed.url,
        API_MIXED_RESOURCE: BILLING,
        API_MIXED_SCOPE: 'read:invoices',
        API_MIXED_TOKEN: 'user_or_client',
      },
      {
        demoProvider: {
          extraApis: [
            { audience: DEMO_MANAGEMENT_AUDIENCE, userScopes: [], m2mScopes: DEMO_MANAGEMENT_SCOPE.split(' ') },
            { audience: BILLING, userScopes: ['read:invoices'], m2mScopes: [] },
          ],
        },
      },
    );
    await logIn(stack, browser);
  });
  after(async () => {
    await stack?.close();
    await Promise.all([main, billing, audit, refused, mixed].map((api) => api?.close()));
  });

  it('sends each user API a token with its own audience and only its own scopes', async () => {
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal((await apiCall(browser, stack, '/billing/invoices?year=2026')).status, 200);
    assert.equal(billing.requests.at(-1)?.url, '/invoices?year=2026');

    const mainToken = tokenClaims(main);
    const billingToken = tokenClaims(billing);
    assert.equal(mainToken.aud, DEMO_API_AUDIENCE);
    assert.equal(billingToken.aud, BILLING);
    assert.equal(billingToken['scope'], 'read:invoices');
    assert.ok(!String(mainToken['scope']).split(' ').includes('read:invoices'));
    assert.ok(String(mainToken['scope']).split(' ').includes('read:appointments'));
    // Both are the user's tokens, never the app's.
    for (const claims of [mainToken, billingToken]) {
      assert.equal(claims.sub, ALICE.sub);
      assert.notEqual(claims['gty'], 'client-credentials');
    }
  });

  it('sends a client API the app’s client-credentials token, never the user’s', async () => {
    assert.equal((await apiCall(browser, stack, '/audit/reports/daily')).status, 200);
    const claims = tokenClaims(audit);
    assert.equal(claims.sub, DEMO_M2M_CLIENT.clientId);
    assert.equal(claims['scope'], 'read:reports');
    assert.equal(claims.aud, DEMO_API_AUDIENCE);

    // The demo management API refuses user tokens: a 200 proves the app's token went there.
    const res = await apiCall(browser, stack, '/management/api/v2/clients');
    assert.equal(res.status, 200);
    const clients = (await res.json()) as Array<{ client_id: string }>;
    assert.ok(clients.some((c) => c.client_id === DEMO_M2M_CLIENT.clientId));
  });

  it('after both tokens expire, 20 concurrent calls over two APIs make exactly one grant per API', async () => {
    const sessionId = sessionIdOf(browser, stack) ?? '';
    const before = await stack.services.tokens.peek(sessionId);
    await expireAllAccessTokens(stack, sessionId);
    stack.provider.resetStats();
    const calls = Array.from({ length: 20 }, (_, i) =>
      apiCall(browser, stack, i % 2 === 0 ? '/me' : '/billing/invoices'),
    );
    const statuses = await Promise.all(calls.map(async (call) => (await call).status));
    assert.deepEqual(
      statuses,
      statuses.map(() => 200),
    );
    assert.equal(stack.provider.stats.grants['refresh_token'], 2);
    // The demo provider rotates on every use and revokes the grant on reuse: none happened.
    assert.equal(stack.provider.stats.grantErrors['refresh_token'] ?? 0, 0);
    const after = await stack.services.tokens.peek(sessionId);
    assert.ok(after?.refreshToken && after.refreshToken !== before?.refreshToken);
    // And the rotated token still works for the next grant.
    await expireAllAccessTokens(stack, sessionId);
    assert.equal((await apiCall(browser, stack, '/billing/invoices')).status, 200);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal(stack.provider.stats.grantErrors['refresh_token'] ?? 0, 0);
  });

  it('answers 403 api_not_authorized for an API the provider refuses, and the others keep working', async () => {
    stack.provider.resetStats();
    const res = await apiCall(browser, stack, '/secrets/list');
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: string };
    assert.equal(body.error, 'api_not_authorized');
    assert.equal(refused.requests.length, 0, 'the refused API was never called');
    // Remembered for this login: no second grant.
    assert.equal((await apiCall(browser, stack, '/secrets/list')).status, 403);
    assert.equal(stack.provider.stats.grantErrors['refresh_token'] ?? 0, 1);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal((await apiCall(browser, stack, '/billing/invoices')).status, 200);
  });

  it('user_or_client: the user’s token with a login, the app’s with a session that has none; user APIs need a login', async () => {
    assert.equal((await apiCall(browser, stack, '/mixed/x')).status, 200);
    assert.equal(tokenClaims(mixed).sub, ALICE.sub);

    // A session without a login: a sign-in started and not finished.
    const visitor = new Browser();
    await visitor.get(`${stack.appUrl}/login`);
    assert.ok(sessionIdOf(visitor, stack), 'the visitor has a session');
    assert.equal((await apiCall(visitor, stack, '/mixed/x')).status, 200);
    assert.equal(tokenClaims(mixed).sub, DEMO_M2M_CLIENT.clientId);
    assert.equal((await apiCall(visitor, stack, '/audit/reports/daily')).status, 200);
    for (const path of ['/me', '/billing/invoices']) {
      const res = await apiCall(visitor, stack, path);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'login_required');
    }
    // No session at all: nothing is sent anywhere.
    const calls = mixed.requests.length;
    assert.equal((await apiCall(new Browser(), stack, '/mixed/x')).status, 401);
    assert.equal(mixed.requests.length, calls);
  });

  it('/session/info gives each API’s token expiry, says which use the app’s token, and never a token', async () => {
    const res = await browser.get(`${stack.appUrl}/session/info`, { headers: { 'X-CSRF': '1' } });
    assert.equal(res.status, 200);
    const text = await browser.text(res);
    assert.doesNotMatch(text, /eyJ/);
    type Status = {
      name: string;
      mountPath: string;
      token: string;
      sends: string;
      accessToken: { expiresAt: number; lifetimeSeconds: number } | null;
      refused: string | null;
    };
    const info = JSON.parse(text) as { accessToken: { expiresAt: number }; apis: Status[] };
    const byName = new Map(info.apis.map((api) => [api.name, api]));
    assert.deepEqual([...byName.keys()].sort(), stack.config.apis.map((api) => api.name).sort());
    const held = await stack.services.tokens.peek(sessionIdOf(browser, stack) ?? '');
    assert.ok(held);
    // The default API's entry is the top-level `accessToken` the console always read.
    assert.equal(byName.get('default')?.accessToken?.expiresAt, info.accessToken.expiresAt);
    assert.equal(byName.get('default')?.mountPath, '/api/');
    // Each named user API: its own token's expiry, not the default API's.
    for (const name of ['billing', 'mixed']) {
      assert.equal(byName.get(name)?.sends, 'user');
      assert.equal(byName.get(name)?.accessToken?.expiresAt, held.apiTokens?.[name]?.expiresAt, name);
    }
    // Client APIs send the app's token: the login holds none for them.
    for (const name of ['audit', 'management']) {
      assert.equal(byName.get(name)?.sends, 'app');
      assert.equal(byName.get(name)?.accessToken, null);
    }
    assert.equal(byName.get('secrets')?.accessToken, null);
    assert.equal(byName.get('secrets')?.refused, held.apiRefusals?.['secrets']);
    assert.ok(byName.get('secrets')?.refused);
  });
});

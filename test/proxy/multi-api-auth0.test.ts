/**
 * Several APIs in Auth0's dialect, end to end with the embedded provider playing Auth0: the login
 * names the default API with `audience`, and a named API's token comes from a refresh-token grant
 * with `audience` (a multi-resource refresh token,
 * https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token). Each upstream
 * sees a token for its own audience, and after expiry each API gets its own grant again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { DEMO_API_AUDIENCE, DEMO_MANAGEMENT_AUDIENCE, DEMO_MANAGEMENT_SCOPE } from '../../src/config/config.js';
import { ALICE, apiCall, logIn, sessionIdOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { startStack, type Stack } from '../helpers/stack.js';

const BILLING = 'https://billing.demo-api.example/';

function audiencesSeenBy(api: RecordingApi): string[] {
  const authorization = api.requests.at(-1)?.headers.authorization ?? '';
  assert.match(authorization, /^Bearer /);
  const claims = decodeJwt(authorization.slice('Bearer '.length));
  assert.equal(claims.sub, ALICE.sub);
  return [claims.aud ?? []].flat();
}

describe('several APIs with the auth0 profile: audience on the refresh-token grant', () => {
  let stack: Stack;
  let main: RecordingApi;
  let billing: RecordingApi;
  const browser = new Browser();

  before(async () => {
    [main, billing] = await Promise.all([startRecordingApi(), startRecordingApi()]);
    stack = await startStack(
      {
        DEMO_PROVIDER_PROFILE: 'auth0',
        API_BASE_URL: main.url,
        API_BILLING_BASE_URL: billing.url,
        API_BILLING_AUDIENCE: BILLING,
        API_BILLING_SCOPE: 'read:invoices',
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
    assert.equal(stack.config.oidc.audience, DEMO_API_AUDIENCE, 'the auth0 preset names the default API by audience');
    await logIn(stack, browser);
  });
  after(async () => {
    await stack?.close();
    await Promise.all([main, billing].map((api) => api?.close()));
  });

  it('gives each upstream a token whose audience is its own', async () => {
    stack.provider.resetStats();
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    const billingCall = await apiCall(browser, stack, '/billing/invoices');
    assert.equal(billingCall.status, 200, await billingCall.clone().text());

    const mainAudiences = audiencesSeenBy(main);
    const billingAudiences = audiencesSeenBy(billing);
    assert.ok(mainAudiences.includes(DEMO_API_AUDIENCE), `main API saw aud ${mainAudiences.join(', ')}`);
    assert.ok(!mainAudiences.includes(BILLING));
    assert.ok(billingAudiences.includes(BILLING), `billing API saw aud ${billingAudiences.join(', ')}`);
    assert.ok(!billingAudiences.includes(DEMO_API_AUDIENCE));
    // One grant, in Auth0's dialect: the API named with `audience`, no `resource`.
    assert.equal(stack.provider.stats.grants['refresh_token'], 1);
    const events = await stack.services.flowLog.list(sessionIdOf(browser, stack) ?? '');
    const grant = events.find((event) => event.type === 'refresh' && event.data['api'] === 'billing');
    assert.equal(grant?.data['audience'], BILLING);
    assert.equal(grant?.data['resource'], undefined);
  });

  it('after expiry, each API gets its own token again from the rotated refresh token', async () => {
    const sessionId = sessionIdOf(browser, stack) ?? '';
    const tokens = await stack.services.tokens.peek(sessionId);
    assert.ok(tokens?.apiTokens?.['billing']);
    const past = Date.now() - 1000;
    await stack.services.tokens.saveLogin(sessionId, {
      ...tokens,
      expiresAt: past,
      apiTokens: { billing: { ...tokens.apiTokens['billing'], expiresAt: past } },
      version: tokens.version + 1,
    });
    stack.provider.resetStats();
    const statuses = await Promise.all(
      ['/me', '/billing/invoices', '/me', '/billing/invoices'].map(
        async (path) => (await apiCall(browser, stack, path)).status,
      ),
    );
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    // Auth0 rotates with no overlap period: a reused refresh token would be refused here.
    assert.equal(stack.provider.stats.grants['refresh_token'], 2);
    assert.equal(stack.provider.stats.grantErrors['refresh_token'] ?? 0, 0);
    assert.ok(audiencesSeenBy(main).includes(DEMO_API_AUDIENCE));
    assert.ok(audiencesSeenBy(billing).includes(BILLING));
  });
});

/**
 * DEMO_CLIENT_PROFILE=fapi: `npm start` with every stronger client option at once, working against the
 * embedded provider with no account: the login is pushed (RFC 9126), every back-channel call is
 * authenticated with a signed assertion (RFC 7523), and user and M2M tokens are DPoP-bound (RFC 9449).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { DEMO_M2M_CLIENT } from '../../src/config/config.js';
import { apiCall, logIn, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startStack } from '../helpers/stack.js';

describe('DEMO_CLIENT_PROFILE=fapi', () => {
  it('pushes the login, signs every client authentication and binds user and M2M tokens; the pages say so', async (t) => {
    const stack = await startStack({ DEMO_CLIENT_PROFILE: 'fapi' });
    t.after(() => stack.close());
    const browser = new Browser();
    const start = await browser.get(`${stack.appUrl}/login`);
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.deepEqual([...authorize.searchParams.keys()].sort(), ['client_id', 'request_uri']);

    await logIn(stack, browser);
    const tokens = await tokensOf(browser, stack);
    assert.equal(tokens?.tokenType, 'dpop');
    assert.equal((decodeJwt(tokens.accessToken)['cnf'] as { jkt?: string }).jkt, tokens.dpopKey?.jkt);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200, 'the demo API checked the proof');

    const m2m = await stack.services.m2m?.getBoundToken();
    assert.equal(m2m?.tokenType, 'dpop');
    assert.equal((decodeJwt(m2m.accessToken)['cnf'] as { jkt?: string }).jkt, m2m.dpopKey?.jkt);

    // The provider saw signed assertions and no secret, for the push, the code exchange and the M2M grant.
    const seen = stack.provider.stats.clientAuthentications;
    for (const [route, grantType, clientId] of [
      ['pushed_authorization_request', undefined, stack.config.oidc.clientId],
      ['token', 'authorization_code', stack.config.oidc.clientId],
      ['token', 'client_credentials', DEMO_M2M_CLIENT.clientId],
    ] as const) {
      const record = seen.find((r) => r.route === route && r.grantType === grantType && r.clientId === clientId);
      assert.ok(record, `${route} ${grantType ?? ''}`);
      assert.equal(record.sent, 'client_assertion');
      assert.equal(record.secretSent, false);
    }

    const flow = await browser.text(await browser.get(`${stack.appUrl}/flow`));
    assert.match(flow, /Pushed authorization request \(PAR\)/);
    assert.match(flow, /private_key_jwt/);
    assert.ok(flow.includes(tokens.dpopKey?.jkt ?? 'missing'), 'the flow shows the cnf.jkt');
  });
});

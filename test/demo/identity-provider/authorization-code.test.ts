/** The demo provider's authorization code flow, as a BFF sees it (openid-client plays the BFF). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';

import { DEMO_ACCOUNTS } from '../../../src/demo/demo-accounts.js';
import { Browser } from '../../helpers/browser.js';
import { loginAtProvider } from '../../helpers/provider-login.js';
import {
  ALICE,
  API_AUDIENCE,
  BOB,
  REDIRECT_URI,
  USER_SCOPES,
  WEB,
  authorizationUrl,
  isCallback,
  scopesOf,
  signIn,
  startStack,
  verifyAccessToken,
} from '../../helpers/demo-provider-kit.js';

describe('demo identity provider: authorization code flow', () => {
  it('signs in each demo account and issues a JWT access token for the API, an ID token with profile claims and a refresh token', async (t) => {
    const stack = await startStack(t);
    for (const account of DEMO_ACCOUNTS) {
      const { tokens, callbackUrl } = await signIn(stack, account);
      assert.equal(callbackUrl.searchParams.get('iss'), stack.issuer, 'RFC 9207 iss parameter');

      const accessToken = await verifyAccessToken(stack, tokens.access_token);
      assert.equal(accessToken.sub, account.sub);
      assert.equal(accessToken['client_id'], WEB.clientId);
      assert.deepEqual(scopesOf(accessToken), [...USER_SCOPES].sort(), 'user scopes only, never read:reports');
      const lifetime = (accessToken.exp ?? 0) - (accessToken.iat ?? 0);
      assert.equal(lifetime, 5);

      const idToken = tokens.claims();
      assert.ok(idToken);
      assert.equal(idToken.sub, account.sub);
      assert.equal(idToken['name'], account.name);
      assert.equal(idToken['email'], account.email);
      assert.equal(decodeProtectedHeader(tokens.id_token ?? '').alg, 'RS256');

      assert.ok(tokens.refresh_token, 'offline_access + prompt=consent yields a refresh token');
      // RFC 6749 §5.1: `scope` describes the access token, i.e. the API scopes.
      assert.deepEqual((tokens.scope ?? '').split(' ').sort(), [...USER_SCOPES].sort());
    }
    assert.equal(stack.idp.stats.grants['authorization_code'], 2);
    assert.equal(stack.idp.stats.grantsByClient[WEB.clientId]?.['authorization_code'], 2);
    assert.equal(stack.idp.stats.logins, 2);
  });

  it('accepts the Auth0-style audience parameter instead of resource', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, BOB, { audience: API_AUDIENCE });
    const accessToken = await verifyAccessToken(stack, tokens.access_token);
    assert.equal(accessToken.sub, BOB.sub);
    assert.deepEqual(scopesOf(accessToken), [...USER_SCOPES].sort());
  });

  it('issues an opaque UserInfo-only access token when no API is requested', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, ALICE, {});
    assert.throws(() => decodeProtectedHeader(tokens.access_token));
    const userinfo = await client.fetchUserInfo(stack.web, tokens.access_token, ALICE.sub);
    assert.equal(userinfo.email, ALICE.email);
  });

  it('rejects an unknown resource with invalid_target on the redirect', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack, { resource: 'https://unknown-api.example/' });
    const { stoppedAt } = await browser.follow(start.url, { stopAt: isCallback });
    assert.ok(stoppedAt);
    assert.equal(new URL(stoppedAt).searchParams.get('error'), 'invalid_target');
  });

  it('requires PKCE even from the confidential web client', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const url = client.buildAuthorizationUrl(stack.web, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: client.randomState(),
    });
    const { stoppedAt } = await browser.follow(url, { stopAt: isCallback });
    assert.ok(stoppedAt);
    const params = new URL(stoppedAt).searchParams;
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description') ?? '', /PKCE/);
  });

  it('reuses the provider session: no password the second time, consent only when prompted', async (t) => {
    const stack = await startStack(t);
    const { browser } = await signIn(stack, ALICE);

    // prompt=consent (needed for offline_access) shows the consent page again, but not the login.
    const again = await authorizationUrl(stack);
    const second = await loginAtProvider(browser, again.url, {
      login: 'unused',
      password: 'unused',
      stopAt: isCallback,
    });
    assert.ok(second.stoppedAt);
    assert.equal(second.consentShown, true);
    const tokens = await client.authorizationCodeGrant(stack.web, new URL(second.stoppedAt), {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
      expectedNonce: again.nonce,
    });
    assert.equal(tokens.claims()?.sub, ALICE.sub);

    // Without prompt=consent and offline_access, the existing grant covers the request: straight back.
    const verifier = client.randomPKCECodeVerifier();
    const silent = client.buildAuthorizationUrl(stack.web, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email read:appointments',
      resource: API_AUDIENCE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'silent',
    });
    const third = await browser.follow(silent, { stopAt: isCallback });
    assert.ok(third.stoppedAt);
    assert.ok(new URL(third.stoppedAt).searchParams.get('code'));
    assert.equal(stack.idp.stats.logins, 1);
  });

  it('lets another account sign in in the same browser with prompt=login', async (t) => {
    const stack = await startStack(t);
    const { browser } = await signIn(stack, ALICE);
    const start = await authorizationUrl(stack, { resource: API_AUDIENCE, prompt: 'login consent' });
    // oidc-provider ends Alice's session through a self-submitting form before continuing.
    const result = await loginAtProvider(browser, start.url, {
      login: BOB.login,
      password: BOB.password,
      stopAt: isCallback,
    });
    assert.ok(result.stoppedAt, `visited ${result.urls.join(' -> ')}`);
    const tokens = await client.authorizationCodeGrant(stack.web, new URL(result.stoppedAt), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
    });
    assert.equal(tokens.claims()?.sub, BOB.sub);
    assert.equal((await verifyAccessToken(stack, tokens.access_token)).sub, BOB.sub);
  });

  it('sends error=access_denied to the callback when the user denies consent', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const result = await loginAtProvider(browser, start.url, {
      login: ALICE.login,
      password: ALICE.password,
      consent: 'deny',
      stopAt: isCallback,
    });
    assert.ok(result.stoppedAt);
    const params = new URL(result.stoppedAt).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('error_description'), 'The user denied the request.');
    assert.equal(params.get('state'), start.state);
    assert.equal(params.get('code'), null);
    assert.equal(stack.idp.stats.consentsDenied, 1);
  });
});

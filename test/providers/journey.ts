/**
 * One provider journey through the real app and the embedded provider playing a profile:
 * login → API call → forced expiry → refresh → reuse of the old refresh token → API → logout →
 * /api 401. Each step checks what that provider is documented to do; the row says what to expect.
 */
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { DEMO_API_AUDIENCE } from '../../src/config/config.js';
import type { DemoProfileName } from '../../src/demo/identity-provider/index.js';
import { ALICE, apiCall, logIn, logoutFormToken, sessionIdOf, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { confirmLogoutAtProvider } from '../helpers/provider-login.js';
import type { Stack } from '../helpers/stack.js';

export interface JourneyRow {
  readonly profile: DemoProfileName;
  /** Extra app variables for this row (the preset is the profile's unless set here). */
  readonly env?: Record<string, string>;
  /** Extra query for /login (Auth0 organization invitations). */
  readonly loginQuery?: Record<string, string>;
  /** The access token is a JWT for our API (false: the provider issues tokens for its own APIs only). */
  readonly apiToken: boolean;
  /** A refresh returns a new refresh token. */
  readonly rotates: boolean;
  /**
   * What the token endpoint says to the refresh token that was just replaced: `accepted`, or
   * `breach` (invalid_grant, and the newer refresh token is revoked with it).
   */
  readonly reuseOfOldRefreshToken: 'accepted' | 'breach';
  /** Where the browser goes at logout. */
  readonly logout: 'end-session' | 'auth0-v2-logout' | 'local';
  /** The end-session URL carries the ID token (Okta insists). */
  readonly idTokenHint?: boolean;
  /** The refresh token is revoked at logout (no revocation endpoint: false). */
  readonly revokes: boolean;
  /** Checks on the ID token claims (organization, tenant). */
  readonly idTokenClaims?: Record<string, unknown>;
  readonly idTokenAlg?: string;
}

export async function runJourney(stack: Stack, row: JourneyRow): Promise<void> {
  const browser = new Browser();
  await logIn(stack, browser, ALICE, undefined, row.loginQuery ?? {});
  const sid = sessionIdOf(browser, stack);
  assert.ok(sid, 'logged in');
  const first = await tokensOf(browser, stack);
  assert.ok(first?.refreshToken, 'a refresh token was issued at login');
  assert.ok(first.idToken);
  const idClaims = decodeJwt(first.idToken);
  assert.equal(idClaims.iss, stack.issuer, 'ID token iss is the profile-shaped issuer');
  for (const [claim, value] of Object.entries(row.idTokenClaims ?? {})) assert.equal(idClaims[claim], value, claim);
  if (row.idTokenAlg) {
    const header = JSON.parse(Buffer.from(first.idToken.split('.')[0] ?? '', 'base64url').toString()) as {
      alg: string;
    };
    assert.equal(header.alg, row.idTokenAlg);
  }

  // The API call: the upstream token names our API and carries the user's scopes.
  if (row.apiToken) await assertApiAccepts(stack, browser);
  else await assertOpaqueAccessToken(stack, browser, first.accessToken);

  // Forced expiry, then a call that needs a fresh token.
  await stack.services.tokens.saveLogin(sid, { ...first, expiresAt: Date.now() - 1000, version: first.version + 1 });
  const refreshesBefore = stack.provider.stats.grants['refresh_token'] ?? 0;
  if (row.apiToken) {
    await assertApiAccepts(stack, browser);
  } else {
    const res = await browser.request(`${stack.appUrl}/session/refresh`, {
      method: 'POST',
      headers: { 'X-CSRF': '1' },
    });
    assert.equal(res.status, 200, await res.text());
  }
  assert.equal(stack.provider.stats.grants['refresh_token'], refreshesBefore + 1, 'exactly one refresh');
  const second = await tokensOf(browser, stack);
  assert.ok(second?.refreshToken);
  assert.equal(second.refreshToken !== first.refreshToken, row.rotates, 'rotation as the provider does it');
  if (row.apiToken) await assertApiAccepts(stack, browser);

  // The replaced refresh token, replayed: the provider's answer.
  const replay = client.refreshTokenGrant(
    stack.services.provider.get(),
    first.refreshToken,
    stack.config.oidc.resource ? { resource: stack.config.oidc.resource } : {},
  );
  const isInvalidGrant = (err: unknown): boolean =>
    err instanceof client.ResponseBodyError && err.error === 'invalid_grant';
  if (row.reuseOfOldRefreshToken === 'accepted') {
    await replay;
  } else {
    await assert.rejects(replay, isInvalidGrant);
    // Reuse detection revokes the whole family: the newer refresh token dies too.
    await assert.rejects(client.refreshTokenGrant(stack.services.provider.get(), second.refreshToken), isInvalidGrant);
  }

  await logOut(stack, browser, row);
  const after = await apiCall(browser, stack, '/me');
  assert.equal(after.status, 401, 'no session after logout');
}

async function assertApiAccepts(stack: Stack, browser: Browser): Promise<void> {
  const res = await apiCall(browser, stack, '/me');
  const body = (await res.json()) as { aud: string | string[]; scope: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok([body.aud].flat().includes(DEMO_API_AUDIENCE), `aud ${String(body.aud)}`);
  assert.ok(body.scope.split(' ').includes('read:appointments'), `scope ${body.scope}`);
}

async function assertOpaqueAccessToken(stack: Stack, browser: Browser, accessToken: string): Promise<void> {
  assert.throws(() => decodeJwt(accessToken), 'the access token is opaque');
  const page = await browser.text(await browser.get(`${stack.appUrl}/tokens`));
  assert.match(page, /This token is opaque/);
}

async function logOut(stack: Stack, browser: Browser, row: JourneyRow): Promise<void> {
  const revocationsBefore = stack.provider.stats.revocations;
  const csrf = await logoutFormToken(browser, stack);
  const res = await browser.post(
    `${stack.appUrl}/logout`,
    { csrf },
    { headers: { Origin: stack.appUrl, 'Sec-Fetch-Site': 'same-origin' } },
  );
  assert.equal(res.status, 303);
  const target = new URL(res.headers.get('location') ?? '', stack.appUrl);
  // After a detected breach there is nothing left to revoke.
  const revocable = row.revokes && row.reuseOfOldRefreshToken === 'accepted';
  assert.equal(stack.provider.stats.revocations > revocationsBefore, revocable, 'refresh token revoked');
  if (row.logout === 'local') {
    assert.equal(target.href, `${stack.appUrl}/`);
    return;
  }
  assert.equal(target.origin, new URL(stack.issuer).origin);
  if (row.logout === 'auth0-v2-logout') {
    assert.equal(target.pathname, '/v2/logout');
    assert.equal(target.searchParams.get('returnTo'), `${stack.appUrl}/`);
  } else {
    assert.equal(target.searchParams.get('post_logout_redirect_uri'), `${stack.appUrl}/`);
    assert.equal(target.searchParams.has('id_token_hint'), row.idTokenHint ?? false);
  }
  assert.equal(target.searchParams.get('client_id'), stack.config.oidc.clientId);
  const done = await confirmLogoutAtProvider(browser, target);
  assert.equal(done.urls.at(-1), `${stack.appUrl}/`, `back at the app (${done.urls.join(' → ')})`);
}

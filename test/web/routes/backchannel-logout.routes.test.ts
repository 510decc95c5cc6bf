/**
 * POST /backchannel-logout against the real embedded provider: what a refused
 * request looks like (400 JSON per Back-Channel Logout 1.0 §2.8, no cookie, no
 * session) and, with the provider sending real logout tokens, what it ends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { DEMO_CLIENT } from '../../../src/config/config.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../../src/oidc/backchannel-logout.js';
import {
  ALICE,
  apiCall,
  BOB,
  logIn,
  loginNamesOf,
  refreshTokenWorks,
  sessionIdOf,
  tokensOf,
} from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { confirmLogoutAtProvider, loginAtProvider, providerLogoutToken } from '../../helpers/provider-login.js';
import * as client from 'openid-client';
import { startStack, type Stack } from '../../helpers/stack.js';

let stack: Stack;

/** Another web app of the same provider: the user signs in there too, then signs out there. */
const OTHER_APP = {
  clientId: 'demo-other-app',
  clientSecret: 'demo-other-app-secret-for-tests',
  authMethod: 'client_secret_basic',
  clientName: 'Another app',
  redirectUri: 'https://other-app.example/callback',
  postLogoutRedirectUri: 'https://other-app.example/',
} as const;
const atOtherApp = (url: URL): boolean => url.origin === new URL(OTHER_APP.redirectUri).origin;

before(async () => {
  stack = await startStack({}, { demoProvider: { otherApps: [OTHER_APP] } });
  await stack.services.provider.whenReady();
});
after(() => stack.close());

async function forgedToken(claims: Record<string, string>): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT({ ...claims, jti: randomUUID(), events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
    .setProtectedHeader({ alg: 'RS256', kid: 'not-the-providers' })
    .setIssuer(stack.issuer)
    .setAudience(DEMO_CLIENT.clientId)
    .setIssuedAt()
    .sign(privateKey);
}

async function loggedIn(account = ALICE, provider?: Browser): Promise<Browser> {
  const browser = new Browser();
  // Same provider session as `provider`: the second login is single sign-on, with the same `sid`.
  if (provider) browser.copyCookies(provider, stack.issuer);
  await logIn(stack, browser, account);
  assert.ok(await tokensOf(browser, stack));
  return browser;
}

/** Makes the embedded provider send its own logout token for `sub` (and `sid`, when given) to the app. */
async function sendLogoutToken(sub: string, sid: string | undefined): Promise<void> {
  // oidc-provider's Client#backchannelLogout, what its end-session action calls (missing from its type definitions).
  const registered = (await stack.provider.provider.Client.find(DEMO_CLIENT.clientId)) as unknown as {
    backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
  };
  await registered.backchannelLogout(sub, sid);
}

function postToken(token: string): Promise<Response> {
  return post(new URLSearchParams({ logout_token: token }).toString());
}

function post(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(`${stack.appUrl}/backchannel-logout`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Accept: '*/*' },
    body,
  });
}

async function assertRefused(res: Response): Promise<void> {
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('set-cookie'), null, 'a server-to-server call never gets a session');
  const body = (await res.json()) as { error: string };
  assert.equal(body.error, 'invalid_request');
}

describe('POST /backchannel-logout: refused requests', () => {
  it('refuses a token signed with a key the provider does not publish', async () => {
    const browser = await loggedIn();
    await assertRefused(await postToken(await forgedToken(await loginNamesOf(browser, stack))));
    assert.ok(await tokensOf(browser, stack), 'nothing ended');
    assert.equal((await apiCall(browser, stack, '/appointments')).status, 200);
  });

  // Signed by the provider's real key, each breaking one rule of §2.6: 400, and the login it names lives on.
  const oneRuleBroken: Array<[string, (names: { sub: string; sid: string }) => Promise<string>]> = [
    [
      'a wrong aud (a logout token for another app)',
      (n) => providerLogoutToken(stack, n, { clientId: OTHER_APP.clientId }),
    ],
    ['a nonce', (n) => providerLogoutToken(stack, { ...n, nonce: 'n-1' })],
    ['no events claim', (n) => providerLogoutToken(stack, n, { events: false })],
    ['neither sid nor sub', () => providerLogoutToken(stack, { sub: undefined })],
    ['an old iat', (n) => providerLogoutToken(stack, { ...n, iat: Math.floor(Date.now() / 1000) - 3600 })],
  ];
  for (const [rule, token] of oneRuleBroken) {
    it(`refuses a provider-signed token with ${rule}, and ends nothing`, async () => {
      const browser = await loggedIn();
      await assertRefused(await postToken(await token(await loginNamesOf(browser, stack))));
      assert.ok(await tokensOf(browser, stack), 'nothing ended');
      assert.equal((await apiCall(browser, stack, '/appointments')).status, 200);
    });
  }

  it('refuses a replayed token: a login made after the first use is not ended by the replay', async () => {
    const browser = await loggedIn(BOB);
    const token = await providerLogoutToken(stack, await loginNamesOf(browser, stack));
    assert.equal((await postToken(token)).status, 200, 'the first use is accepted (a valid token)');
    assert.equal(await tokensOf(browser, stack), undefined, 'and ends the login');
    // Signing in again in the same browser: single sign-on, the same provider session and sid.
    await logIn(stack, browser, BOB);
    assert.equal(
      (await loginNamesOf(browser, stack)).sid,
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid,
    );
    await assertRefused(await postToken(token));
    assert.ok(await tokensOf(browser, stack), 'the new login lives on');
  });

  it('refuses a body that is not form-encoded', async () => {
    await assertRefused(await post(JSON.stringify({ logout_token: 'x' }), 'application/json'));
  });

  it('refuses a request without a logout_token', async () => {
    await assertRefused(await post('something=else'));
  });
});

describe('POST /backchannel-logout: logouts the provider sends', () => {
  it('signing out at the provider ends every login of that provider session and revokes their refresh tokens', async () => {
    const first = await loggedIn(ALICE);
    const second = await loggedIn(ALICE, first);
    const bob = await loggedIn(BOB);
    const held = [await tokensOf(first, stack), await tokensOf(second, stack)];
    assert.notEqual(sessionIdOf(first, stack), sessionIdOf(second, stack));
    for (const tokens of held) assert.ok(tokens?.refreshToken && (await refreshTokenWorks(stack, tokens.refreshToken)));

    // The provider's own end-session page, as a user would reach it from another app.
    const endSession = new URL(stack.services.provider.get().serverMetadata().end_session_endpoint ?? '');
    endSession.searchParams.set('client_id', DEMO_CLIENT.clientId);
    // From the browser that signed in last: it holds the provider session's current cookie.
    await confirmLogoutAtProvider(second, endSession);

    for (const browser of [first, second]) {
      assert.equal(await tokensOf(browser, stack), undefined);
      const api = await apiCall(browser, stack, '/appointments');
      assert.equal(api.status, 401);
      assert.equal(((await api.json()) as { error: string }).error, 'login_required');
    }
    for (const tokens of held) assert.equal(await refreshTokenWorks(stack, tokens?.refreshToken ?? ''), false);
    // The next page says why.
    const page = await second.get(`${stack.appUrl}/profile`);
    assert.equal(page.status, 401);
    assert.match(await page.text(), /signed out at your identity provider/);
    assert.equal((await second.get(`${stack.appUrl}/profile`)).status, 303, 'then simply a login like any other');
    // Another user's login is untouched.
    assert.equal((await apiCall(bob, stack, '/appointments')).status, 200);
  });

  it("RP-initiated logout from another app of the provider ends this app's logins of that provider session", async () => {
    const first = await loggedIn(ALICE);
    const second = await loggedIn(ALICE, first);
    const held = [await tokensOf(first, stack), await tokensOf(second, stack)];
    const metadata = stack.services.provider.get().serverMetadata();

    // The user signs in to the other app as well (single sign-on: the provider session already exists).
    const authorize = new URL(metadata.authorization_endpoint ?? '');
    authorize.search = new URLSearchParams({
      client_id: OTHER_APP.clientId,
      redirect_uri: OTHER_APP.redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const signedIn = await loginAtProvider(second, authorize, { ...ALICE, stopAt: atOtherApp });
    assert.ok(signedIn.stoppedAt?.startsWith(`${OTHER_APP.redirectUri}?code=`), 'the other app got a code');

    // ...and signs out there: the other app's RP-initiated logout, with its own client_id.
    const endSession = new URL(metadata.end_session_endpoint ?? '');
    endSession.searchParams.set('client_id', OTHER_APP.clientId);
    endSession.searchParams.set('post_logout_redirect_uri', OTHER_APP.postLogoutRedirectUri);
    const signedOut = await confirmLogoutAtProvider(second, endSession, { stopAt: atOtherApp });
    assert.ok(signedOut.stoppedAt?.startsWith(OTHER_APP.postLogoutRedirectUri), 'back to the other app');

    // The provider told this app, server to server: both logins ended, both refresh tokens revoked.
    for (const browser of [first, second]) {
      assert.equal(await tokensOf(browser, stack), undefined);
      const api = await apiCall(browser, stack, '/appointments');
      assert.equal(api.status, 401);
      assert.equal(((await api.json()) as { error: string }).error, 'login_required');
    }
    for (const tokens of held) assert.equal(await refreshTokenWorks(stack, tokens?.refreshToken ?? ''), false);
    // The flow inspector's last step, on the next page: who sent the logout token and what matched.
    const html = await first.text(await first.get(`${stack.appUrl}/flow`));
    assert.match(html, /Logout token received from your identity provider/);
    assert.ok(html.includes(stack.issuer));
    assert.match(html, /sid: the provider session this login was made in/);
    assert.match(html, /revoked at the provider \(RFC 7009\)/);
    assert.match(html, /Back-Channel Logout 1.0 §2.6/);
  });

  it("a logout token with only a sub ends all of that user's logins and none of another's", async () => {
    const alice = [await loggedIn(ALICE), await loggedIn(ALICE)];
    const bob = await loggedIn(BOB);
    const sub = ALICE.sub;
    // What an administrator ending all of a user's sessions makes the provider send: a logout token with
    // only `sub`, signed with the provider's key and POSTed to our back-channel logout URI.
    await sendLogoutToken(sub, undefined);
    for (const browser of alice) assert.equal(await tokensOf(browser, stack), undefined);
    assert.ok(await tokensOf(bob, stack));
    assert.deepEqual(
      await stack.services.logins.find({ sub }),
      [],
      'an ended login leaves the index (TokenService.endLogin)',
    );
    assert.ok((await stack.services.logins.find({ sub: BOB.sub })).length >= 1);
  });
});

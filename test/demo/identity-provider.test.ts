/**
 * The embedded demo identity provider, driven black-box over HTTP: openid-client v6 plays the
 * BFF (it never runs here; we stop at the redirect to its /callback and exchange the code
 * ourselves) and {@link Browser} plays the user's browser on the provider's pages.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';

import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { createDemoProvider, type DemoProvider, type DemoProviderOptions } from '../../src/demo/identity-provider.js';
import { Browser } from '../helpers/browser.js';
import { confirmLogoutAtProvider, errorMessageOf, loginAtProvider, parseForm } from '../helpers/provider-login.js';

const API_AUDIENCE = 'https://demo-api.example/';
const USER_SCOPES = ['read:appointments', 'write:appointments', 'read:contacts'];
const M2M_SCOPES = ['read:reports'];
const APP_BASE_URL = 'http://localhost:39999';
const REDIRECT_URI = `${APP_BASE_URL}/callback`;
// read:reports is asked for on purpose: a user must never receive an M2M scope.
const USER_SCOPE_REQUEST = ['openid', 'profile', 'email', 'offline_access', ...USER_SCOPES, 'read:reports'].join(' ');

const WEB = {
  clientId: 'demo-web',
  clientSecret: 'demo-web-secret-0123456789abcdef',
  authMethod: 'client_secret_basic',
} as const;
const M2M_BASIC = {
  clientId: 'demo-m2m-basic',
  clientSecret: 'demo-m2m-basic-secret-0123456789',
  authMethod: 'client_secret_basic',
  scope: 'read:reports',
} as const;
const M2M_POST = {
  clientId: 'demo-m2m-post',
  clientSecret: 'demo-m2m-post-secret-01234567890',
  authMethod: 'client_secret_post',
  scope: 'read:reports',
} as const;

const [ALICE, BOB] = DEMO_ACCOUNTS as [DemoAccount, DemoAccount];

interface Stack {
  issuer: string;
  idp: DemoProvider;
  web: client.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  stylesheetDir: string;
}

/** Starts a provider on an ephemeral loopback port; everything is torn down after the test. */
async function startStack(t: TestContext, overrides: Partial<DemoProviderOptions> = {}): Promise<Stack> {
  const stylesheetDir = await mkdtemp(join(tmpdir(), 'demo-idp-'));
  const stylesheetPath = join(stylesheetDir, 'styles.css');
  await writeFile(stylesheetPath, '.card { padding: 1rem; }\n');

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await rm(stylesheetDir, { recursive: true, force: true });
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const idp = await createDemoProvider({
    issuer,
    appBaseUrl: APP_BASE_URL,
    webClient: WEB,
    m2mClients: [M2M_BASIC, M2M_POST],
    api: { audience: API_AUDIENCE, userScopes: USER_SCOPES, m2mScopes: M2M_SCOPES },
    accessTokenTtlSeconds: 5,
    clientCredentialsTtlSeconds: 30,
    stylesheetPath,
    ...overrides,
  });
  server.on('request', idp.handler);

  const web = await discover(issuer, WEB);
  const jwksUri = web.serverMetadata().jwks_uri;
  assert.ok(jwksUri);
  return { issuer, idp, web, jwks: createRemoteJWKSet(new URL(jwksUri)), stylesheetDir };
}

function discover(
  issuer: string,
  demoClient: { clientId: string; clientSecret: string; authMethod: 'client_secret_basic' | 'client_secret_post' },
  authMethod = demoClient.authMethod,
): Promise<client.Configuration> {
  const auth =
    authMethod === 'client_secret_basic'
      ? client.ClientSecretBasic(demoClient.clientSecret)
      : client.ClientSecretPost(demoClient.clientSecret);
  return client.discovery(new URL(issuer), demoClient.clientId, demoClient.clientSecret, auth, {
    execute: [client.allowInsecureRequests],
  });
}

const isCallback = (url: URL): boolean => url.href.startsWith(REDIRECT_URI);

interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

async function authorizationUrl(
  stack: Stack,
  extra: Record<string, string> = { resource: API_AUDIENCE },
): Promise<AuthorizationStart> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(stack.web, {
    redirect_uri: REDIRECT_URI,
    scope: USER_SCOPE_REQUEST,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    // OIDC Core §11: oidc-provider drops offline_access unless consent is prompted for.
    prompt: 'consent',
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Signs `account` in through the pages and exchanges the code like the BFF's /callback would. */
async function signIn(stack: Stack, account: DemoAccount, extra?: Record<string, string>) {
  const browser = new Browser();
  const start = await authorizationUrl(stack, extra);
  const result = await loginAtProvider(browser, start.url, {
    login: account.login,
    password: account.password,
    stopAt: isCallback,
  });
  assert.ok(result.stoppedAt, `expected a redirect to the app's callback; visited ${result.urls.join(' -> ')}`);
  assert.equal(result.consentShown, true);
  const tokens = await client.authorizationCodeGrant(stack.web, new URL(result.stoppedAt), {
    pkceCodeVerifier: start.verifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
  return { browser, tokens, callbackUrl: new URL(result.stoppedAt) };
}

async function verifyAccessToken(stack: Stack, token: string): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, stack.jwks, {
    issuer: stack.issuer,
    audience: API_AUDIENCE,
    typ: 'at+jwt', // RFC 9068 §2.1
  });
  assert.equal(protectedHeader.alg, 'ES256');
  for (const claim of ['sub', 'client_id', 'scope', 'iss', 'aud', 'exp', 'iat', 'jti']) {
    assert.ok(payload[claim] !== undefined, `access token lacks ${claim}`);
  }
  return payload;
}

function scopesOf(payload: JWTPayload): string[] {
  return String(payload['scope'] ?? '')
    .split(' ')
    .filter(Boolean)
    .sort();
}

/** Asserts an OAuth error response; a 401 with a Basic challenge surfaces as a challenge error. */
async function rejectsWith(promise: Promise<unknown>, error: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    if (err instanceof client.WWWAuthenticateChallengeError) {
      assert.equal(err.status, 401);
      const body = err.cause.map((challenge) => challenge.parameters['error']);
      assert.ok(body.includes(error), `expected ${error} in the challenge, got ${body.join(', ')}`);
      return true;
    }
    assert.ok(err instanceof client.ResponseBodyError, `expected a ResponseBodyError, got ${String(err)}`);
    assert.equal(err.error, error);
    return true;
  });
}

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

describe('demo identity provider: pages', () => {
  it('renders an accessible login page that lists the demo accounts', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    assert.equal(response.status, 200);
    assert.match(urls.at(-1) ?? '', /\/interaction\/[\w-]+$/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(
      response.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action 'self' ${APP_BASE_URL}`),
    );
    const html = await browser.text(response);

    assert.match(html, /<html lang="en">/);
    assert.match(html, /<title>[^<]+<\/title>/);
    assert.match(html, /<meta name="viewport"/);
    assert.match(html, /<main\b/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/styles.css">/);
    assert.match(
      html,
      /<div class="demo-banner" role="note">Demo identity provider — for local development only\. Never use these accounts or this server in production\.<\/div>/,
    );
    assert.match(html, /<label for="login">/);
    assert.match(html, /<label for="password">/);
    assert.match(html, /<button type="submit" class="btn btn-primary">Sign in<\/button>/);
    assert.doesNotMatch(html, /<script/);
    for (const account of DEMO_ACCOUNTS) {
      for (const value of [account.name, account.email, account.login, account.password]) {
        assert.ok(html.includes(value), `login page lists ${value}`);
      }
    }
    const form = parseForm(html, (candidate) => 'login' in candidate.fields);
    assert.equal(form.method, 'post');
    assert.deepEqual(Object.keys(form.fields).sort(), ['login', 'password']);
  });

  it('shows "Wrong username or password." for a wrong password or an unknown login', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const pageUrl = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const action = new URL(form.action, pageUrl);

    for (const credentials of [
      { login: ALICE.login, password: 'not-her-password' },
      { login: 'mallory', password: ALICE.password },
    ]) {
      const failed = await browser.post(action, credentials);
      assert.equal(failed.status, 401);
      const html = await browser.text(failed);
      assert.match(html, /<p class="error-message" role="alert">Wrong username or password\.<\/p>/);
      assert.equal(errorMessageOf(html), 'Wrong username or password.');
      // The login is kept (escaped) so the user only retypes the password.
      assert.equal(parseForm(html, (candidate) => 'login' in candidate.fields).fields['login'], credentials.login);
    }
    assert.equal(stack.idp.stats.failedLogins, 2);

    // The interaction survives failed attempts.
    const ok = await browser.post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(ok.status, 303);

    await assert.rejects(
      loginAtProvider(new Browser(), (await authorizationUrl(stack)).url, { login: 'alice', password: 'nope' }),
      /Wrong username or password\./,
    );
  });

  it('shows the client, the scopes and the API on the consent page', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const loginPage = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const posted = await browser.post(new URL(form.action, loginPage), { login: BOB.login, password: BOB.password });
    const consent = await browser.followRedirects(posted, new URL(form.action, loginPage));
    assert.equal(consent.response.status, 200);
    const html = await browser.text(consent.response);
    assert.ok(html.includes(WEB.clientId), 'client name (defaults to the id)');
    assert.ok(html.includes(API_AUDIENCE));
    for (const scope of [...USER_SCOPES, 'profile', 'email', 'offline_access']) {
      assert.ok(html.includes(scope), `consent lists ${scope}`);
    }
    assert.ok(!html.includes('read:reports'), 'an M2M scope is not offered to a user');
    assert.ok(html.includes(BOB.name));
    assert.match(html, /<button type="submit" name="decision" value="allow" class="btn btn-primary">Allow<\/button>/);
    assert.match(html, /<button type="submit" name="decision" value="deny" class="btn btn-secondary">Deny<\/button>/);
  });

  it('refuses a cross-origin form post and survives malformed or oversized forms', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const pageUrl = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const action = new URL(form.action, pageUrl);

    const crossSite = await browser.post(
      action,
      { login: ALICE.login, password: ALICE.password },
      {
        headers: { origin: 'https://evil.example' },
      },
    );
    assert.equal(crossSite.status, 403);
    assert.match(await browser.text(crossSite), /class="error-message"/);

    const oversized = await browser.post(action, { login: 'x'.repeat(20_000), password: 'y' });
    assert.equal(oversized.status, 413);
    await browser.text(oversized);

    const wrongType = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=%E0%A4%A&password',
    });
    assert.equal(wrongType.status, 401);
    await browser.text(wrongType);

    // No interaction cookie (another browser): refused, not crashed.
    const stranger = await new Browser().post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(stranger.status, 400);

    // The provider still works.
    const ok = await browser.post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(ok.status, 303);
  });

  it('serves the app stylesheet at /static/styles.css', async (t) => {
    const stack = await startStack(t);
    const response = await fetch(`${stack.issuer}/static/styles.css`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/css/);
    assert.equal(await response.text(), '.card { padding: 1rem; }\n');
  });

  it('renders provider errors with the same layout', async (t) => {
    const stack = await startStack(t);
    const response = await fetch(`${stack.issuer}/auth?client_id=nobody&response_type=code`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /<div class="demo-banner" role="note">/);
    assert.match(html, /<p class="error-message" role="alert">/);
    assert.match(html, /invalid_client/);
  });

  it('confirms RP-initiated logout with its own page and returns to the app', async (t) => {
    const stack = await startStack(t);
    const { browser, tokens } = await signIn(stack, ALICE);
    const endSession = client.buildEndSessionUrl(stack.web, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${APP_BASE_URL}/`,
      state: 'bye',
    });

    const page = await browser.follow(endSession);
    assert.equal(page.response.status, 200);
    const html = await browser.text(page.response);
    assert.match(html, /<div class="demo-banner" role="note">/);
    assert.match(
      html,
      /<button type="submit" name="logout" value="yes" class="btn btn-danger" autofocus>Yes, sign me out<\/button>/,
    );
    const form = parseForm(html, (candidate) => candidate.buttons.some((button) => button.name === 'logout'));
    assert.ok(form.fields['xsrf'], 'oidc-provider xsrf field kept');

    const result = await confirmLogoutAtProvider(browser, endSession, { stopAt: (url) => url.origin === APP_BASE_URL });
    assert.ok(result.stoppedAt);
    const back = new URL(result.stoppedAt);
    assert.equal(`${back.origin}${back.pathname}`, `${APP_BASE_URL}/`);
    assert.equal(back.searchParams.get('state'), 'bye');

    // The provider session is gone: a new authorization request asks for the password again.
    const again = await browser.follow((await authorizationUrl(stack)).url);
    assert.match(await browser.text(again.response), /name="password"/);
  });

  it('shows the signed-out page when no post_logout_redirect_uri is given', async (t) => {
    const stack = await startStack(t);
    const { browser } = await signIn(stack, BOB);
    const result = await confirmLogoutAtProvider(browser, `${stack.issuer}/session/end`);
    assert.equal(result.response.status, 200);
    const html = await browser.text(result.response);
    assert.match(html, /You are signed out/);
    assert.match(html, /<div class="demo-banner" role="note">/);
  });
});

describe('demo identity provider: refresh and revocation', () => {
  it('rotates the refresh token on every use and refuses a consumed one with invalid_grant', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, ALICE);
    const first = tokens.refresh_token;
    assert.ok(first);

    const refreshed = await client.refreshTokenGrant(stack.web, first);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, first, 'rotated');
    const accessToken = await verifyAccessToken(stack, refreshed.access_token);
    assert.equal(accessToken.sub, ALICE.sub);
    assert.deepEqual(scopesOf(accessToken), [...USER_SCOPES].sort(), 'resource reused without repeating it');

    await rejectsWith(client.refreshTokenGrant(stack.web, first), 'invalid_grant');
    // Reuse detection revoked the whole grant, so the rotated token is dead too (RFC 9700 §4.14.2).
    await rejectsWith(client.refreshTokenGrant(stack.web, refreshed.refresh_token), 'invalid_grant');

    assert.equal(stack.idp.stats.grants['refresh_token'], 1);
    assert.equal(stack.idp.stats.grantErrors['refresh_token'], 2);
    assert.equal(stack.idp.stats.grantErrorsByCode['invalid_grant'], 2);

    stack.idp.resetStats();
    assert.deepEqual(stack.idp.stats.grants, {});
    assert.equal(stack.idp.stats.logins, 0);
  });

  it('revokes a refresh token (RFC 7009) so it can no longer be used', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, BOB);
    assert.ok(tokens.refresh_token);
    await client.tokenRevocation(stack.web, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(stack.idp.stats.revocations, 1);
    await rejectsWith(client.refreshTokenGrant(stack.web, tokens.refresh_token), 'invalid_grant');
  });
});

describe('demo identity provider: client credentials', () => {
  it('issues API tokens with only the M2M scopes, via resource or audience, with each client’s own auth method', async (t) => {
    const stack = await startStack(t);
    for (const m2m of [M2M_BASIC, M2M_POST]) {
      const config = await discover(stack.issuer, m2m);
      const targets: Array<Record<string, string>> = [{ resource: API_AUDIENCE }, { audience: API_AUDIENCE }, {}];
      for (const target of targets) {
        const tokens = await client.clientCredentialsGrant(config, {
          scope: 'read:reports read:appointments',
          ...target,
        });
        assert.equal(tokens.refresh_token, undefined);
        const payload = await verifyAccessToken(stack, tokens.access_token);
        assert.equal(payload.sub, m2m.clientId);
        assert.equal(payload['client_id'], m2m.clientId);
        assert.deepEqual(scopesOf(payload), ['read:reports'], 'never a user scope');
        assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 30);
      }
      assert.equal(stack.idp.stats.grantsByClient[m2m.clientId]?.['client_credentials'], 3);
    }
    assert.equal(stack.idp.stats.grants['client_credentials'], 6);
  });

  it('requires each client’s registered authentication method', async (t) => {
    const stack = await startStack(t);
    const basicAsPost = await discover(stack.issuer, M2M_BASIC, 'client_secret_post');
    await rejectsWith(
      client.clientCredentialsGrant(basicAsPost, { scope: 'read:reports', resource: API_AUDIENCE }),
      'invalid_client',
    );
    const postAsBasic = await discover(stack.issuer, M2M_POST, 'client_secret_basic');
    await rejectsWith(
      client.clientCredentialsGrant(postAsBasic, { scope: 'read:reports', resource: API_AUDIENCE }),
      'invalid_client',
    );
    const wrongSecret = await discover(stack.issuer, { ...M2M_BASIC, clientSecret: 'wrong' });
    await rejectsWith(client.clientCredentialsGrant(wrongSecret, { scope: 'read:reports' }), 'invalid_client');
    assert.equal(stack.idp.stats.grantErrors['client_credentials'], 3);
    assert.equal(stack.idp.stats.grants['client_credentials'], undefined);
  });

  it('rejects unknown resources and the web client', async (t) => {
    const stack = await startStack(t);
    const config = await discover(stack.issuer, M2M_BASIC);
    await rejectsWith(
      client.clientCredentialsGrant(config, { scope: 'read:reports', resource: 'https://unknown-api.example/' }),
      'invalid_target',
    );
    await rejectsWith(
      client.clientCredentialsGrant(config, { scope: 'read:reports', audience: 'https://unknown-api.example/' }),
      'invalid_target',
    );
    await rejectsWith(client.clientCredentialsGrant(stack.web, { scope: 'read:reports' }), 'invalid_request');
  });
});

describe('Browser test helper', () => {
  it('keeps cookies per host:port with Path, Max-Age and Expires, and logs every exchange', async (t) => {
    const server = http.createServer((req, res) => {
      if (req.url === '/set') {
        res.setHeader('set-cookie', [
          'root=1; Path=/; HttpOnly',
          'scoped=2; Path=/app',
          'gone=3; Path=/; Max-Age=0',
          'old=4; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
          'later=5; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        ]);
        res.writeHead(302, { location: '/app/page' }).end('moved');
      } else if (req.url === '/clear') {
        res.setHeader('set-cookie', 'root=; Path=/; Max-Age=0');
        res.end('cleared');
      } else {
        res.end(`cookie: ${req.headers.cookie ?? ''}`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.close();
      server.closeAllConnections();
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = new Browser();

    const { response, urls } = await browser.follow(`${origin}/set`);
    assert.deepEqual(urls, [`${origin}/set`, `${origin}/app/page`]);
    assert.equal(await browser.text(response), 'cookie: scoped=2; root=1; later=5');
    assert.equal(browser.cookiesFor(`${origin}/`), 'root=1; later=5');
    assert.equal(browser.cookie(`${origin}/application`, 'scoped'), undefined, 'path-match needs a / boundary');
    assert.equal(browser.cookiesFor(`http://localhost:${new URL(origin).port}/`), '', 'another host has its own jar');

    await browser.text(await browser.get(`${origin}/clear`));
    assert.equal(browser.cookie(`${origin}/`, 'root'), undefined);
    assert.match(browser.transcript(), /GET .*\/set\n\n302\n[\s\S]*moved/);
    assert.equal(browser.log.length, 3);
  });
});

describe('demo identity provider: options', () => {
  it('refuses invalid options, listing every problem', async () => {
    await assert.rejects(
      createDemoProvider({
        issuer: 'http://127.0.0.1:1/',
        appBaseUrl: 'not a url',
        webClient: WEB,
        m2mClients: [],
        api: { audience: API_AUDIENCE, userScopes: ['a'], m2mScopes: ['a'] },
        accessTokenTtlSeconds: 0,
        stylesheetPath: 'public/styles.css',
      }),
      (err: unknown) => {
        assert.ok(err instanceof TypeError);
        for (const fragment of ['issuer', 'appBaseUrl', 'accessTokenTtlSeconds', 'stylesheetPath', 'overlap']) {
          assert.match(err.message, new RegExp(fragment));
        }
        return true;
      },
    );
  });
});

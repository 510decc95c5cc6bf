/**
 * Test kit for the embedded demo identity provider, driven black-box over HTTP: openid-client v6 plays the
 * BFF (it never runs here; we stop at the redirect to its /callback and exchange the code
 * ourselves) and {@link Browser} plays the user's browser on the provider's pages.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';

import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import {
  createDemoProvider,
  DEMO_PROVIDER_PROFILES,
  type DemoProvider,
  type DemoProviderOptions,
} from '../../src/demo/identity-provider/index.js';
import { Browser } from './browser.js';
import { loginAtProvider } from './provider-login.js';
import { sharedSigningKeys } from './signing-keys.js';

export const API_AUDIENCE = 'https://demo-api.example/';
export const USER_SCOPES = ['read:appointments', 'write:appointments', 'read:contacts'];
export const M2M_SCOPES = ['read:reports'];
export const APP_BASE_URL = 'http://localhost:39999';
export const REDIRECT_URI = `${APP_BASE_URL}/callback`;
// read:reports is asked for on purpose: a user must never receive an M2M scope.
export const USER_SCOPE_REQUEST = ['openid', 'profile', 'email', 'offline_access', ...USER_SCOPES, 'read:reports'].join(
  ' ',
);

export const WEB = {
  clientId: 'demo-web',
  clientSecret: 'demo-web-secret-0123456789abcdef',
  authMethod: 'client_secret_basic',
} as const;
export const M2M_BASIC = {
  clientId: 'demo-m2m-basic',
  clientSecret: 'demo-m2m-basic-secret-0123456789',
  authMethod: 'client_secret_basic',
  scope: 'read:reports',
} as const;
export const M2M_POST = {
  clientId: 'demo-m2m-post',
  clientSecret: 'demo-m2m-post-secret-01234567890',
  authMethod: 'client_secret_post',
  scope: 'read:reports',
} as const;

export const [ALICE, BOB] = DEMO_ACCOUNTS as [DemoAccount, DemoAccount];

export interface Stack {
  issuer: string;
  idp: DemoProvider;
  web: client.Configuration;
  jwks: ReturnType<typeof createRemoteJWKSet>;
  stylesheetDir: string;
}

/** Starts a provider on an ephemeral loopback port; everything is torn down after the test. */
export async function startStack(t: TestContext, overrides: Partial<DemoProviderOptions> = {}): Promise<Stack> {
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
    signingKeys: await sharedSigningKeys((overrides.profile ?? DEMO_PROVIDER_PROFILES.standard).idTokenSigningAlgs),
    ...overrides,
  });
  server.on('request', idp.handler);

  const web = await discover(issuer, WEB);
  const jwksUri = web.serverMetadata().jwks_uri;
  assert.ok(jwksUri);
  return { issuer, idp, web, jwks: createRemoteJWKSet(new URL(jwksUri)), stylesheetDir };
}

export function discover(
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

export const isCallback = (url: URL): boolean => url.href.startsWith(REDIRECT_URI);

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationUrl(
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
export async function signIn(
  stack: Stack,
  account: DemoAccount,
  extra?: Record<string, string>,
  browser = new Browser(),
) {
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

export async function verifyAccessToken(stack: Stack, token: string): Promise<JWTPayload> {
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

export function scopesOf(payload: JWTPayload): string[] {
  return String(payload['scope'] ?? '')
    .split(' ')
    .filter(Boolean)
    .sort();
}

/** Asserts an OAuth error response; a 401 with a Basic challenge surfaces as a challenge error. */
export async function rejectsWith(promise: Promise<unknown>, error: string): Promise<void> {
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

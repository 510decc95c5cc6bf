/**
 * private_key_jwt (RFC 7523 §2.2, OIDC Core §9) against the real embedded provider: every
 * back-channel call carries an assertion signed with the app's key and no secret, the public keys
 * at /.well-known/jwks.json are what the provider verifies with, and a key rotation keeps logins
 * working while a key the provider never saw fails with a clear error.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { loadConfig } from '../../src/config/config.js';
import { createServices } from '../../src/services.js';
import { createApp } from '../../src/web/app.js';
import { ALICE, logIn, sessionIdOf } from '../helpers/app-login.js';
import { loginAtProvider } from '../helpers/provider-login.js';
import { Browser } from '../helpers/browser.js';
import type { ClientAuthenticationRecord } from '../../src/demo/identity-provider/index.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startStack, type Stack } from '../helpers/stack.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function publishedKeys(stack: Stack): Promise<{ res: Response; jwks: JSONWebKeySet }> {
  const res = await fetch(`${stack.appUrl}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  return { res, jwks: (await res.json()) as JSONWebKeySet };
}

/**
 * Checks one request the provider received: an assertion for `clientId` signed by `kid`, accepted
 * (the provider verified its signature with the keys it fetched from the app), and no secret.
 */
function assertSignedBy(record: ClientAuthenticationRecord, stack: Stack, clientId: string, kid: string): void {
  const what = `${record.route} ${record.grantType ?? ''}`;
  assert.equal(record.status < 300, true, `${what} succeeded (status ${record.status})`);
  assert.equal(record.clientId, clientId, `${what} authenticated ${clientId}`);
  assert.equal(record.sent, 'client_assertion');
  assert.equal(record.secretSent, false, `${what} sent no client secret`);
  assert.equal(record.assertionType, JWT_BEARER, `${what} names the JWT bearer assertion type`);
  assert.equal(record.assertion?.header['kid'], kid, `${what} was signed with the first key`);
  // RFC 7523 §3: iss = sub = client_id, aud the provider (its issuer), exp, and a unique jti.
  const claims = record.assertion?.claims ?? {};
  assert.equal(claims['iss'], clientId);
  assert.equal(claims['sub'], clientId);
  assert.equal(claims['aud'], stack.issuer);
  assert.ok(claims['jti'] && claims['exp'], `${what} has jti and exp`);
}

describe('private_key_jwt client authentication', () => {
  it('code exchange, refresh, revocation, PAR and client credentials each send a signed assertion and no secret', async (t) => {
    const stack = await startStack({ OIDC_AUTH_METHOD: 'private_key_jwt', M2M_AUTH_METHOD: 'private_key_jwt' });
    t.after(() => stack.close());
    const records = stack.provider.stats.clientAuthentications;
    // Demo mode made a key for this process, and registered both clients with the app's jwks_uri.
    assert.equal(stack.config.clientKeys?.ephemeral, true);
    assert.equal(stack.config.oidc.clientSecret, undefined);
    const web = await stack.provider.provider.Client.find(stack.config.oidc.clientId);
    assert.equal(web?.clientAuthMethod, 'private_key_jwt');
    assert.equal(web?.clientSecret, undefined);
    const kid = stack.services.clientKeys?.signingKey.kid ?? '';
    assert.ok(kid);

    const browser = new Browser();
    await logIn(stack, browser);
    const sid = sessionIdOf(browser, stack) ?? '';
    await stack.services.tokens.getTokens(sid, { force: 'manual' });
    assert.ok(stack.services.m2m);
    await stack.services.m2m.getToken();
    await stack.services.tokens.endLogin(sid);

    const seen = records.map((r) => `${r.route}${r.grantType ? `:${r.grantType}` : ''}`);
    assert.deepEqual(seen, [
      'pushed_authorization_request',
      'token:authorization_code',
      'token:refresh_token',
      'token:client_credentials',
      'revocation',
    ]);
    for (const record of records) {
      const clientId = record.grantType === 'client_credentials' ? (stack.config.m2m?.clientId ?? '') : web.clientId;
      assertSignedBy(record, stack, clientId, kid);
    }
    assert.equal(stack.provider.stats.revocations, 1, 'the revocation was accepted');
    // Neither the private key nor an assertion is ever logged.
    const privateMember = String(stack.config.clientKeys?.keys[0]?.d);
    assert.ok(stack.logs.length > 0);
    assert.ok(!stack.logs.some((line) => line.includes(privateMember) || /eyJ[\w-]+\.eyJ/.test(line)));

    // The pages say which client authentication is in use.
    const login = new Browser();
    await logIn(stack, login);
    const tokensPage = await login.text(await login.get(`${stack.appUrl}/tokens`));
    assert.match(tokensPage, /private_key_jwt: an assertion signed ES256 with key/);
    const flowPage = await login.text(await login.get(`${stack.appUrl}/flow`));
    assert.match(flowPage, /private_key_jwt/);
  });

  it('/.well-known/jwks.json publishes the public halves only, cacheably, and only when a client signs', async (t) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = { ...privateKey.export({ format: 'jwk' }), kid: 'rsa-2026', alg: 'PS256' };
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const stack = await startStack({
      OIDC_AUTH_METHOD: 'private_key_jwt',
      OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [rsa, ec] }),
    });
    t.after(() => stack.close());
    const { res, jwks } = await publishedKeys(stack);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    assert.equal(res.headers.get('set-cookie'), null, 'no session for a key fetch');
    assert.equal(jwks.keys.length, 2);
    const [first, second] = jwks.keys;
    assert.deepEqual(Object.keys(first ?? {}).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.deepEqual(Object.keys(second ?? {}).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    for (const key of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(member in key, false, `no ${member}`);
    }
    assert.equal(first?.kid, 'rsa-2026', 'a configured kid is kept');
    assert.equal(first?.alg, 'PS256');
    assert.match(second?.kid ?? '', /^[\w-]{43}$/, 'no kid configured: the RFC 7638 thumbprint');
    assert.equal(second?.alg, 'ES256');

    const secretStack = await startStack({});
    t.after(() => secretStack.close());
    const none = await fetch(`${secretStack.appUrl}/.well-known/jwks.json`, {
      headers: { Accept: 'application/json' },
    });
    assert.equal(none.status, 404);
  });

  it('rotation: with two keys registered either may sign; a key the provider never saw fails with a clear error', async (t) => {
    const jwk = (): Record<string, unknown> =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const keyA = jwk();
    const keyB = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const keyBJwk = keyB.export({ format: 'jwk' });
    const dir = await mkdtemp(path.join(tmpdir(), 'pkjwt-'));
    t.after(() => rm(dir, { recursive: true, force: true }));

    // Step 1: the new key B is added second; A still signs. The provider fetches both from jwks_uri.
    const stack = await startStack({
      OIDC_AUTH_METHOD: 'private_key_jwt',
      OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [keyA, keyBJwk] }),
    });
    t.after(() => stack.close());
    const records = stack.provider.stats.clientAuthentications;
    const [kidA, kidB] = (await publishedKeys(stack)).jwks.keys.map((key) => key.kid ?? '');
    await logIn(stack, new Browser());
    assert.equal(records.at(-1)?.assertion?.header['kid'], kidA);

    /** Restarts the app on the same address with another key setting (the provider keeps running). */
    async function restartApp(keys: Record<string, string>): Promise<void> {
      const config = loadConfig({
        NODE_ENV: 'test',
        PORT: String(stack.config.port),
        DEMO_PROVIDER_PORT: String(stack.config.demo?.providerPort),
        DEMO_API_PORT: String(stack.config.demo?.apiPort),
        RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
        OIDC_AUTH_METHOD: 'private_key_jwt',
        ...keys,
      });
      const services = await createServices(config, captureLogs('info').logger);
      t.after(() => services.close());
      await services.provider.whenReady();
      stack.appServer.removeAllListeners('request');
      stack.appServer.on('request', createApp(services));
    }

    // Step 2: B moves first and signs; the provider, holding both, accepts it.
    await restartApp({ OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [keyBJwk, keyA] }) });
    assert.deepEqual(
      (await publishedKeys(stack)).jwks.keys.map((key) => key.kid),
      [kidB, kidA],
    );
    await logIn(stack, new Browser());
    assert.equal(records.at(-1)?.assertion?.header['kid'], kidB);
    assert.equal(records.at(-1)?.status, 200);

    // Step 3: A is removed; B alone, now from a mounted PEM file, keeps signing (same thumbprint kid).
    const file = path.join(dir, 'client-key.pem');
    await writeFile(file, keyB.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await restartApp({ OIDC_CLIENT_PRIVATE_KEY_FILE: file });
    assert.deepEqual(
      (await publishedKeys(stack)).jwks.keys.map((key) => key.kid),
      [kidB],
    );
    await logIn(stack, new Browser());
    assert.equal(records.at(-1)?.assertion?.header['kid'], kidB);

    // A key that was never published while the provider fetched: refused at the first signed call
    // (PAR, at /login), with an error that names the setting, not a broken redirect.
    await restartApp({ OIDC_CLIENT_PRIVATE_KEY: JSON.stringify(jwk()) });
    const refused = await new Browser().get(`${stack.appUrl}/login`, { headers: { Accept: 'application/json' } });
    assert.equal(refused.status, 502);
    const body = (await refused.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'client_authentication_failed');
    assert.match(body.error_description, /invalid_client/);
    assert.match(body.error_description, /OIDC_AUTH_METHOD/);
    assert.equal(records.at(-1)?.route, 'pushed_authorization_request');
    assert.equal(records.at(-1)?.status, 401);

    // Without PAR the first signed call is the code exchange: the callback fails the same clear way.
    const wrongKey = JSON.stringify(jwk());
    await restartApp({ OIDC_CLIENT_PRIVATE_KEY: wrongKey, OIDC_PAR: 'off' });
    const browser = new Browser();
    const toCallback = await loginAtProvider(browser, `${stack.appUrl}/login`, {
      login: ALICE.login,
      password: ALICE.password,
      stopAt: (url) => url.pathname === '/callback',
    });
    const callback = await browser.get(toCallback.stoppedAt ?? '', { headers: { Accept: 'application/json' } });
    assert.equal(callback.status, 502);
    assert.equal(((await callback.json()) as { error: string }).error, 'client_authentication_failed');
    assert.equal(records.at(-1)?.grantType, 'authorization_code');
    assert.equal(records.at(-1)?.status, 401);
  });
});

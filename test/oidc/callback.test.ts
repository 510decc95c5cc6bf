/**
 * ID token validation at the code exchange, against a fake token endpoint:
 * the faults a real provider will not produce (OIDC Core §3.1.3.7; the
 * OpenID Foundation's Basic RP tests rp-id_token-bad-sig, -aud, -iss, -sub,
 * rp-nonce-invalid). Every bad token is refused and no login is made.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { finishLogin, matchPendingLogin } from '../../src/oidc/callback.js';
import { discoverProvider } from '../../src/oidc/client.js';
import type { PendingLogin } from '../../src/oidc/login.js';
import { createTokenFactory, type MintOptions, type TokenFactory } from '../helpers/token-factory.js';

const CLIENT_ID = 'test-client';
let factory: TokenFactory;
let tokenEndpoint: http.Server;
let nextIdToken: () => Promise<string>;
let configuration: client.Configuration;

const pending: PendingLogin = {
  state: 'state-123',
  nonce: 'nonce-abc',
  codeVerifier: 'verifier-'.padEnd(50, 'x'),
  returnTo: '/',
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  sentParameters: {},
};

function idToken(claims: Record<string, unknown> = {}, options: MintOptions = {}): () => Promise<string> {
  return () =>
    factory.mint(
      { aud: CLIENT_ID, sub: 'user-1', nonce: pending.nonce, iat: Math.floor(Date.now() / 1000), ...claims },
      { expiresIn: 300, typ: 'JWT', ...options },
    );
}

function callbackUrl(): URL {
  return new URL(`http://localhost/callback?code=abc&state=${pending.state}&iss=${encodeURIComponent(factory.issuer)}`);
}

before(async () => {
  factory = await createTokenFactory();
  tokenEndpoint = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const body = JSON.stringify({
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 60,
        id_token: await nextIdToken(),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => tokenEndpoint.listen(0, '127.0.0.1', r));
  const port = (tokenEndpoint.address() as AddressInfo).port;
  configuration = new client.Configuration(
    {
      issuer: factory.issuer,
      token_endpoint: `http://127.0.0.1:${port}/token`,
      jwks_uri: factory.jwksUri.toString(),
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
    },
    CLIENT_ID,
    'secret',
  );
  client.allowInsecureRequests(configuration);
  client.enableNonRepudiationChecks(configuration);
});

after(async () => {
  await new Promise<void>((r) => tokenEndpoint.close(() => r()));
  await factory.close();
});

describe('finishLogin validates the ID token', () => {
  it('accepts a well-formed, correctly signed ID token', async () => {
    nextIdToken = idToken();
    const outcome = await finishLogin(configuration, callbackUrl(), pending, Date.now);
    assert.equal(outcome.claims.sub, 'user-1');
    assert.equal(outcome.tokens.lifetimeSeconds, 60);
  });

  const refused: Array<[string, () => Promise<string>]> = [
    ['a forged signature (same kid, another key)', idToken({}, { key: 'untrusted' })],
    ['an unsigned token (alg none)', idToken({}, { alg: 'none' })],
    ['a wrong nonce', idToken({ nonce: 'someone-elses-nonce' })],
    ['a missing nonce', idToken({ nonce: undefined })],
    ['another audience', idToken({ aud: 'another-client' })],
    ['another issuer', idToken({ iss: 'https://evil.example' })],
    ['an expired token', idToken({}, { expiresIn: -120 })],
    ['no subject', idToken({ sub: undefined })],
  ];
  for (const [name, token] of refused) {
    it(`refuses ${name}`, async () => {
      nextIdToken = token;
      await assert.rejects(finishLogin(configuration, callbackUrl(), pending, Date.now), (err: unknown) => {
        assert.equal((err as { status?: number }).status, 400, String(err));
        assert.equal((err as { code?: string }).code, 'token_exchange_failed');
        return true;
      });
    });
  }
});

describe('the pending-login lookup', () => {
  it('finds no login for a state that names a property of every object (__proto__, constructor, …)', () => {
    const pendingLogins = { [pending.state]: pending };
    for (const state of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const url = new URL(`http://localhost/callback?code=abc&state=${state}`);
      assert.throws(() => matchPendingLogin(url, pendingLogins, Date.now()), { code: 'invalid_state' }, state);
      assert.throws(() => matchPendingLogin(url, {}, Date.now()), { code: 'invalid_state' }, state);
    }
  });
});

/**
 * Clock skew, with the provider configuration the app itself builds
 * (`discoverProvider`, which sets the clock tolerance): a scripted provider
 * whose discovery document points at this file's token endpoint.
 */
describe('clock skew on the ID token, with the app’s own provider configuration', () => {
  let provider: http.Server;
  let issuer: string;
  let discovered: client.Configuration;
  let mint: () => Promise<string>;

  before(async () => {
    provider = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/auth`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: factory.jwksUri.toString(),
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            authorization_response_iss_parameter_supported: true,
          }),
        );
        return;
      }
      req.resume();
      req.on('end', async () => {
        const body = { access_token: 'at', token_type: 'Bearer', expires_in: 60, id_token: await mint() };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    discovered = await discoverProvider({
      issuer: new URL(issuer),
      clientId: CLIENT_ID,
      clientSecret: 'secret',
      authMethod: 'client_secret_basic',
      allowInsecureRequests: true,
      timeoutSeconds: 5,
      verifyIdTokenSignatures: true,
    });
  });
  after(async () => {
    await new Promise<void>((r) => provider.close(() => r()));
  });

  /** An ID token issued `ageSeconds` ago that expires `expiresIn` seconds after `now - ageSeconds`. */
  function token(claims: Record<string, unknown>, expiresIn: number): () => Promise<string> {
    return () =>
      factory.mint(
        { iss: issuer, aud: CLIENT_ID, sub: 'user-1', nonce: pending.nonce, ...claims },
        { expiresIn, typ: 'JWT' },
      );
  }
  const callback = () =>
    new URL(`http://localhost/callback?code=abc&state=${pending.state}&iss=${encodeURIComponent(issuer)}`);
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts an ID token whose exp passed 20 s ago (within the tolerance)', async () => {
    mint = token({ iat: now() - 320 }, -20);
    const outcome = await finishLogin(discovered, callback(), pending, Date.now);
    assert.equal(outcome.claims.sub, 'user-1');
  });

  const refused: Array<[string, () => () => Promise<string>]> = [
    ['an ID token whose exp passed 60 s ago', () => token({ iat: now() - 360 }, -60)],
    ['an ID token issued an hour in the future', () => token({ iat: now() + 3600 }, 7200)],
    ['an ID token issued 60 s in the future', () => token({ iat: now() + 60 }, 300)],
  ];
  for (const [name, make] of refused) {
    it(`refuses ${name}`, async () => {
      mint = make();
      await assert.rejects(finishLogin(discovered, callback(), pending, Date.now), (err: unknown) => {
        assert.equal((err as { status?: number }).status, 400, String(err));
        assert.equal((err as { code?: string }).code, 'token_exchange_failed');
        return true;
      });
    });
  }

  it('accepts an ID token issued 20 s in the future (a provider clock a little ahead)', async () => {
    mint = token({ iat: now() + 20 }, 300);
    const outcome = await finishLogin(discovered, callback(), pending, Date.now);
    assert.equal(outcome.claims.sub, 'user-1');
  });
});

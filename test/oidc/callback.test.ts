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
import { finishLogin } from '../../src/oidc/callback.js';
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

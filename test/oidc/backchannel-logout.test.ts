/**
 * Logout token verification (OpenID Connect Back-Channel Logout 1.0 §2.6):
 * one valid token passes, and every rule has a token that breaks only it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  LogoutTokenError,
  verifyLogoutToken,
  type LogoutTokenCheck,
} from '../../src/oidc/backchannel-logout.js';
import { MemoryReplayCache } from '../../src/stores/memory/replay-cache.js';

const ISSUER = 'https://op.example/';
const CLIENT_ID = 'bff';

let trusted: CryptoKey;
let forged: CryptoKey;
let keys: LogoutTokenCheck['keys'];

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  trusted = pair.privateKey;
  forged = (await generateKeyPair('RS256')).privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
});

function check(overrides: Partial<LogoutTokenCheck> = {}): LogoutTokenCheck {
  return {
    issuer: ISSUER,
    clientId: CLIENT_ID,
    keys,
    algorithms: ['RS256'],
    replay: new MemoryReplayCache(100),
    ...overrides,
  };
}

async function logoutToken(
  claims: JWTPayload = {},
  options: { key?: CryptoKey; omit?: string[] } = {},
): Promise<string> {
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: CLIENT_ID,
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 120,
    jti: randomUUID(),
    sub: 'user-1',
    sid: 'sid-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  };
  for (const name of options.omit ?? []) delete payload[name];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' })
    .sign(options.key ?? trusted);
}

async function refused(token: Promise<string> | string, rules = check()): Promise<void> {
  await assert.rejects(verifyLogoutToken(await token, rules), (err: unknown) => {
    assert.ok(err instanceof LogoutTokenError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_request');
    return true;
  });
}

describe('verifyLogoutToken', () => {
  it('accepts a valid token and returns its sid and sub', async () => {
    const request = await verifyLogoutToken(await logoutToken(), check());
    assert.equal(request.sid, 'sid-1');
    assert.equal(request.sub, 'user-1');
  });

  it('accepts a token with only a sub, or only a sid', async () => {
    assert.equal((await verifyLogoutToken(await logoutToken({}, { omit: ['sid'] }), check())).sid, undefined);
    assert.equal((await verifyLogoutToken(await logoutToken({}, { omit: ['sub'] }), check())).sub, undefined);
  });

  it('refuses a bad signature', () => refused(logoutToken({}, { key: forged })));
  it('refuses a wrong audience', () => refused(logoutToken({ aud: 'someone-else' })));
  it('refuses a wrong issuer', () => refused(logoutToken({ iss: 'https://evil.example/' })));
  it('refuses a nonce', () => refused(logoutToken({ nonce: 'n-1' })));
  it('refuses a token without events', () => refused(logoutToken({}, { omit: ['events'] })));
  it('refuses events without the back-channel logout member', () =>
    refused(logoutToken({ events: { 'http://schemas.openid.net/event/other': {} } })));
  it('refuses a token with neither sid nor sub', () => refused(logoutToken({}, { omit: ['sid', 'sub'] })));
  it('refuses an old iat', () => refused(logoutToken({ iat: Math.floor(Date.now() / 1000) - 3600 })));
  it('refuses an iat in the future', () => refused(logoutToken({ iat: Math.floor(Date.now() / 1000) + 3600 })));
  it('refuses an expired token', () => refused(logoutToken({ exp: Math.floor(Date.now() / 1000) - 3600 })));
  it('refuses a token without jti', () => refused(logoutToken({}, { omit: ['jti'] })));
  it('refuses a missing token', () => refused(''));
  it('refuses an algorithm the provider does not announce', () =>
    refused(logoutToken(), check({ algorithms: ['ES256'] })));

  it('refuses a replayed jti', async () => {
    const rules = check();
    const token = await logoutToken();
    await verifyLogoutToken(token, rules);
    await refused(token, rules);
  });
});

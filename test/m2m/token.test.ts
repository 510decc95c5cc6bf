/**
 * The client-credentials token's target (cache key) and lifetime: pure
 * functions, so plain values in and out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnsecuredJWT } from 'jose';
import type { TokenEndpointResponse } from 'openid-client';
import { normaliseScope, resolveTarget, tokenFromResponse, type ConfiguredTarget } from '../../src/m2m/token.js';

const configured: ConfiguredTarget = {
  issuer: new URL('https://op.example/'),
  clientId: 'svc',
  audience: 'https://api.example/',
  scope: 'read:x write:x',
};

function response(fields: Partial<TokenEndpointResponse>): TokenEndpointResponse {
  return { access_token: 'opaque-token', token_type: 'bearer', ...fields } as TokenEndpointResponse;
}

describe('resolveTarget', () => {
  test('scope order, repeats and extra spaces do not change the key (RFC 6749 §3.3)', () => {
    assert.equal(normaliseScope(' b a  a '), 'a b');
    assert.equal(resolveTarget(configured, { scope: 'b a a' }).key, resolveTarget(configured, { scope: 'a  b' }).key);
    assert.equal(resolveTarget(configured, {}).scope, 'read:x write:x');
  });

  test('every part of the target is in the key, and the key shows none of them', () => {
    const base = resolveTarget(configured, {});
    const others = [
      resolveTarget({ ...configured, issuer: new URL('https://other-op.example/') }, {}),
      resolveTarget({ ...configured, clientId: 'other' }, {}),
      resolveTarget(configured, { audience: 'https://other-api.example/' }),
      resolveTarget(configured, { scope: 'read:x' }),
      resolveTarget(configured, { organization: 'org_1' }),
    ];
    assert.equal(new Set([base.key, ...others.map((t) => t.key)]).size, others.length + 1);
    assert.match(base.key, /^m2m:[A-Za-z0-9_-]{43}$/);
  });

  test('a per-call audience or resource replaces the configured one; both at once is refused', () => {
    const byResource = resolveTarget(configured, { resource: 'https://r.example/' });
    assert.equal(byResource.audience, undefined);
    assert.equal(byResource.resource, 'https://r.example/');
    assert.throws(() => resolveTarget(configured, { audience: 'a', resource: 'r' }), TypeError);
  });
});

describe('tokenFromResponse', () => {
  const target = resolveTarget(configured, {});

  test('expires_in sets the expiry; renewal is due 60 s early, or a quarter of a short lifetime', () => {
    const long = tokenFromResponse(response({ expires_in: 600, scope: 'write:x read:x' }), target, 1_000_000);
    assert.equal(long.expiresAt, 1_600_000);
    assert.equal(long.expiresAt - long.renewAt, 60_000);
    assert.equal(long.grantedScope, 'read:x write:x');
    const short = tokenFromResponse(response({ expires_in: 20 }), target, 0);
    assert.equal(short.expiresAt - short.renewAt, 5_000);
  });

  test("without expires_in, a JWT's own exp − iat is the lifetime", () => {
    const jwt = new UnsecuredJWT({}).setIssuedAt(1_000).setExpirationTime(1_120).encode();
    const token = tokenFromResponse(response({ access_token: jwt }), target, 0);
    assert.equal(token.expiresAt, 120_000);
  });

  test('without expires_in, an opaque token gets a short default lifetime and no stated scope', () => {
    const token = tokenFromResponse(response({}), target, 0);
    assert.equal(token.expiresAt, 300_000);
    assert.equal(token.grantedScope, undefined);
    assert.equal(token.requestedScope, 'read:x write:x');
  });
});

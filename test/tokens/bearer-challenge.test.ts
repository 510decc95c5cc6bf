import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInvalidTokenChallenge, isUseDPoPNonceChallenge } from '../../src/tokens/bearer-challenge.js';

describe('isInvalidTokenChallenge (RFC 6750 §3.1)', () => {
  const cases: Array<[string | string[] | null | undefined, boolean]> = [
    ['Bearer error="invalid_token"', true],
    ['Bearer realm="api", error="invalid_token", error_description="expired"', true],
    ['bearer error=invalid_token', true],
    ['DPoP error="invalid_token", algs="ES256"', true],
    [['Basic realm="x"', 'Bearer error="invalid_token"'], true],
    ['Bearer error="insufficient_scope", scope="read:x"', false],
    ['Bearer realm="api"', false],
    ['Basic error="invalid_token"', false],
    ['Bearer error="invalid_token_type"', false],
    [null, false],
    [undefined, false],
    ['', false],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => {
      assert.equal(isInvalidTokenChallenge(header), expected);
    });
  }
});

describe('isUseDPoPNonceChallenge (RFC 9449 §9)', () => {
  const cases: Array<[string | string[] | null | undefined, boolean]> = [
    ['DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', true],
    ['dpop realm="api", algs="ES256", error=use_dpop_nonce', true],
    [['Bearer realm="api"', 'DPoP error="use_dpop_nonce"'], true],
    ['DPoP error="invalid_dpop_proof"', false],
    ['DPoP error="use_dpop_nonce_please"', false],
    ['Bearer error="invalid_token"', false],
    [null, false],
    ['', false],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => {
      assert.equal(isUseDPoPNonceChallenge(header), expected);
    });
  }
});

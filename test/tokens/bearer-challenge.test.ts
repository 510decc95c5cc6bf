import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInvalidTokenChallenge } from '../../src/tokens/bearer-challenge.js';

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

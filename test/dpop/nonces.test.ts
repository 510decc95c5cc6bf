import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DPoPNonces } from '../../src/dpop/nonces.js';

describe('DPoPNonces (RFC 9449 §9)', () => {
  it('remembers the newest nonce per origin', () => {
    const nonces = new DPoPNonces();
    assert.equal(nonces.remember('http://a.test', 'n-1'), 'n-1');
    assert.equal(nonces.remember('http://b.test', 'n-2'), 'n-2');
    assert.equal(nonces.remember('http://a.test', 'n-3'), 'n-3');
    assert.equal(nonces.get('http://a.test'), 'n-3');
    assert.equal(nonces.get('http://b.test'), 'n-2');
    assert.equal(nonces.get('http://c.test'), undefined);
  });

  it('ignores a missing, repeated or malformed DPoP-Nonce header (§8.1: 1*NQCHAR)', () => {
    const nonces = new DPoPNonces();
    nonces.remember('http://a.test', 'good');
    for (const bad of [undefined, ['one', 'two'], '', 'has space', 'quote"', 'back\\slash', 'x'.repeat(513), 'é']) {
      assert.equal(nonces.remember('http://a.test', bad), undefined, JSON.stringify(bad));
    }
    assert.equal(nonces.get('http://a.test'), 'good');
  });

  it('is bounded: the least recently used origin is forgotten', () => {
    const nonces = new DPoPNonces();
    for (let i = 0; i <= 100; i += 1) nonces.remember(`http://host-${i}.test`, `n${i}`);
    assert.equal(nonces.get('http://host-0.test'), undefined);
    assert.equal(nonces.get('http://host-100.test'), 'n100');
  });
});

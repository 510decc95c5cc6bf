/** The client secret is replaced in every encoding it travels in (RFC 6749 §2.3.1). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretScrubber } from '../../src/m2m/scrub.js';

test('plain, URL-encoded, form-encoded and both Basic-header forms of the secret are redacted', () => {
  const id = 'svc:1';
  const secret = 's3cr&t +/=ö';
  const scrub = secretScrubber(id, secret);
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64'),
    Buffer.from(`${id}:${secret}`).toString('base64'),
  ];
  for (const form of forms) {
    assert.equal(scrub(`before ${form} after ${form}`), 'before [redacted] after [redacted]');
  }
});

test('an empty secret changes nothing', () => {
  assert.equal(secretScrubber('svc', '')('nothing to hide'), 'nothing to hide');
});

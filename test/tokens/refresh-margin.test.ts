/** The refresh margin: 30 s for user tokens, 60 s for the app's own, a quarter of a short lifetime for both. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refreshMarginMs } from '../../src/tokens/refresh-margin.js';

test('long-lived tokens: 30 s early for a user, 60 s early for the client credentials token', () => {
  assert.equal(refreshMarginMs(3600, 'user'), 30_000);
  assert.equal(refreshMarginMs(3600, 'client'), 60_000);
});

test('short-lived tokens: a quarter of the lifetime, whatever the kind', () => {
  assert.equal(refreshMarginMs(20, 'user'), 5_000);
  assert.equal(refreshMarginMs(20, 'client'), 5_000);
  assert.equal(refreshMarginMs(200, 'user'), 30_000);
  assert.equal(refreshMarginMs(200, 'client'), 50_000);
});

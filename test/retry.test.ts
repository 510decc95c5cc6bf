/** backoffDelay: doubling from firstMs, capped at maxMs, jittered between half and all of it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../src/retry.js';

test('each attempt waits between half and all of firstMs × 2^attempt, never more than maxMs', () => {
  const options = { firstMs: 100, maxMs: 2_000 };
  const ceilings = [100, 200, 400, 800, 1_600, 2_000, 2_000];
  ceilings.forEach((ceiling, attempt) => {
    for (let i = 0; i < 50; i += 1) {
      const delay = backoffDelay(attempt, options);
      assert.ok(
        delay >= ceiling / 2 && delay <= ceiling,
        `attempt ${attempt}: ${delay} outside ${ceiling / 2}–${ceiling}`,
      );
    }
  });
  assert.ok(backoffDelay(10_000, options) <= 2_000, 'a huge attempt count stays finite and capped');
});

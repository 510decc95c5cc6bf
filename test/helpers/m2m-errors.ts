/** Assertions shared by the M2M tests. */
import assert from 'node:assert/strict';
import { DEMO_M2M_CLIENT } from '../../src/config/config.js';
import { M2mTokenError } from '../../src/m2m/errors.js';

/** Asserts `err` is an M2mTokenError with `code`, and that `secret` appears nowhere in it. */
export function assertTypedError(err: unknown, code: string, secret: string = DEMO_M2M_CLIENT.clientSecret): true {
  assert.ok(err instanceof M2mTokenError, `expected M2mTokenError, got ${String(err)}`);
  assert.equal(err.code, code);
  const cause = err.cause instanceof Error ? `${err.cause.message} ${err.cause.stack ?? ''}` : String(err.cause);
  for (const text of [
    err.message,
    err.publicMessage,
    cause,
    JSON.stringify(err),
    JSON.stringify(err.details),
    err.stack ?? '',
  ]) {
    assert.ok(!text.includes(secret), `the secret leaked into: ${text}`);
  }
  return true;
}

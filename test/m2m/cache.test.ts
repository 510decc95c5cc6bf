/** The in-memory M2M token cache: entries expire with their TTL, and the cache stays bounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryM2mTokenCache } from '../../src/m2m/cache.js';
import type { M2mToken } from '../../src/m2m/token.js';

const token = (accessToken: string): M2mToken => ({
  accessToken,
  tokenType: 'bearer',
  grantedScope: undefined,
  requestedScope: '',
  audience: undefined,
  resource: undefined,
  organization: undefined,
  issuedAt: 0,
  expiresAt: 60_000,
  renewAt: 45_000,
});

test('an entry is served until its TTL runs out, then it is gone', async () => {
  let clock = 1_000_000;
  const cache = new MemoryM2mTokenCache({ now: () => clock });
  await cache.set('k', token('a'), 60);
  clock += 59_000;
  assert.equal((await cache.get('k'))?.accessToken, 'a');
  clock += 1_001;
  assert.equal(await cache.get('k'), undefined);
});

test('a TTL of zero or less keeps nothing (and drops what was there)', async () => {
  const cache = new MemoryM2mTokenCache();
  await cache.set('k', token('a'), 60);
  await cache.set('k', token('b'), 0);
  assert.equal(await cache.get('k'), undefined);
});

test('at most maxEntries are kept: the least recently used goes first', async () => {
  const cache = new MemoryM2mTokenCache({ maxEntries: 2 });
  await cache.set('a', token('a'), 60);
  await cache.set('b', token('b'), 60);
  await cache.get('a');
  await cache.set('c', token('c'), 60);
  assert.equal((await cache.get('a'))?.accessToken, 'a');
  assert.equal(await cache.get('b'), undefined);
  assert.equal((await cache.get('c'))?.accessToken, 'c');
  await cache.delete('a');
  assert.equal(await cache.get('a'), undefined);
});

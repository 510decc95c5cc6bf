/** The per-call reads kept between Redis invalidations (src/stores/redis/tracked-reads.ts), without a server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrackedReads } from '../../../src/stores/redis/tracked-reads.js';

describe('TrackedReads', () => {
  it('keeps a value read until its key is invalidated', async () => {
    const reads = new TrackedReads(10);
    let gets = 0;
    const fetch = async () => `value ${++gets}`;
    assert.equal(await reads.read('k', fetch), 'value 1');
    assert.equal(await reads.read('k', fetch), 'value 1');
    reads.invalidate('k');
    assert.equal(await reads.read('k', fetch), 'value 2');
    reads.invalidate(null);
    assert.equal(await reads.read('k', fetch), 'value 3');
  });

  it('does not keep a value whose read was on its way when an invalidation arrived', async () => {
    const reads = new TrackedReads(10);
    let release: (value: string) => void = () => undefined;
    const slow = reads.read('k', () => new Promise<string>((resolve) => (release = resolve)));
    // The change reaches the connection before the reply is handled: the reply may predate it.
    reads.invalidate('k');
    release('old');
    assert.equal(await slow, 'old');
    assert.equal(await reads.read('k', async () => 'new'), 'new');
  });

  it('keeps nothing for a missing key, and at most maxEntries keys', async () => {
    const reads = new TrackedReads(2);
    assert.equal(await reads.read('gone', async () => null), undefined);
    let gets = 0;
    const fetch = async () => `v${++gets}`;
    await reads.read('a', fetch);
    await reads.read('b', fetch);
    await reads.read('c', fetch);
    assert.equal(await reads.read('c', fetch), 'v3', 'the newest stays');
    assert.equal(await reads.read('a', fetch), 'v4', 'the oldest left first');
  });
});

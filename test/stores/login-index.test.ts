/**
 * The login index (tokens/login-index.ts) in both stores, and ending the logins
 * a logout token names: `sid` → that provider session's logins, `sub` alone →
 * every login of that user and none of anyone else's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { MemoryLoginIndex } from '../../src/stores/memory/login-index.js';
import { createRedisBackends, type RedisBackends } from '../../src/stores/redis/backends.js';
import type { LoginIndex } from '../../src/tokens/login-index.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger('silent');

function contract(name: string, make: () => Promise<LoginIndex>) {
  describe(`${name} login index`, () => {
    it('finds logins by sid, by sub, and by sid of a given sub', async () => {
      const index = await make();
      await index.add('s1', { sub: 'alice', sid: 'p1' }, 60);
      await index.add('s2', { sub: 'alice', sid: 'p1' }, 60);
      await index.add('s3', { sub: 'alice', sid: 'p2' }, 60);
      await index.add('s4', { sub: 'bob', sid: 'p3' }, 60);
      assert.deepEqual((await index.find({ sid: 'p1' })).sort(), ['s1', 's2']);
      assert.deepEqual((await index.find({ sub: 'alice' })).sort(), ['s1', 's2', 's3']);
      assert.deepEqual(await index.find({ sid: 'p3', sub: 'alice' }), [], 'a sid of another user matches nothing');
      assert.deepEqual(await index.find({ sub: 'bob' }), ['s4']);
      assert.deepEqual(await index.find({}), []);
    });

    it('forgets a login that ended', async () => {
      const index = await make();
      await index.add('s1', { sub: 'carol', sid: 'p9' }, 60);
      await index.remove('s1');
      assert.deepEqual(await index.find({ sid: 'p9' }), []);
      assert.deepEqual(await index.find({ sub: 'carol' }), []);
      await index.remove('never-indexed');
    });

    it('remembers which logins the provider ended', async () => {
      const index = await make();
      assert.equal(await index.takeEndedAtProvider('s1'), false);
      await index.markEndedAtProvider('s1', 60);
      assert.equal(await index.takeEndedAtProvider('s1'), true);
      assert.equal(await index.takeEndedAtProvider('s1'), false, 'the notice is shown once');
    });
  });
}

contract('memory', async () => new MemoryLoginIndex(100));

describe('in Redis', () => {
  let server: RedisServer;
  const opened: RedisBackends[] = [];
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await Promise.all(opened.map((b) => b.close()));
    await server?.dispose();
  });
  // A fresh key space per case, like a fresh memory index.
  contract('redis', async () => {
    const backends = await createRedisBackends({
      url: server.url,
      keyPrefix: `case${opened.length}:`,
      sessionTtlSeconds: 60,
      logger,
      // A test key for encryption at rest (the index itself stores no secrets).
      encryptionKeys: ['a'.repeat(64)],
    });
    opened.push(backends);
    return backends.logins;
  });
});

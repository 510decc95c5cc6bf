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
import type { LoginEnding, LoginIndex, LoginRecord } from '../../src/tokens/login-index.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const logger = createLogger('silent');

const T0 = Date.UTC(2026, 0, 1);

/** A login as the callback indexes it. */
function login(sub: string, sid: string, createdAt = T0, browser = 'Firefox on Linux'): LoginRecord {
  return { sub, sid, createdAt, browser };
}

function contract(name: string, make: () => Promise<LoginIndex>) {
  describe(`${name} login index`, () => {
    it('finds logins by sid, by sub, and by sid of a given sub', async () => {
      const index = await make();
      await index.add('s1', login('alice', 'p1'), 60);
      await index.add('s2', login('alice', 'p1'), 60);
      await index.add('s3', login('alice', 'p2'), 60);
      await index.add('s4', login('bob', 'p3'), 60);
      assert.deepEqual((await index.find({ sid: 'p1' })).sort(), ['s1', 's2']);
      assert.deepEqual((await index.find({ sub: 'alice' })).sort(), ['s1', 's2', 's3']);
      assert.deepEqual(await index.find({ sid: 'p3', sub: 'alice' }), [], 'a sid of another user matches nothing');
      assert.deepEqual(await index.find({ sub: 'bob' }), ['s4']);
      assert.deepEqual(await index.find({}), []);
    });

    it('forgets a login that ended', async () => {
      const index = await make();
      await index.add('s1', login('carol', 'p9'), 60);
      await index.remove('s1');
      assert.deepEqual(await index.find({ sid: 'p9' }), []);
      assert.deepEqual(await index.find({ sub: 'carol' }), []);
      await index.remove('never-indexed');
    });

    it("lists a user's logins with when they were made, last seen, and the browser", async () => {
      const index = await make();
      await index.add('s1', login('dave', 'p1', T0, 'Chrome on macOS'), 60);
      await index.add('s2', login('dave', 'p2', T0 + 1000, 'Safari on iOS'), 60);
      await index.add('s3', login('erin', 'p3'), 60);
      await index.seen('s1', T0 + 5000);
      await index.seen('ended-or-unknown', T0 + 5000);
      const listed = (await index.listForUser('dave')).sort((a, b) => a.createdAt - b.createdAt);
      assert.deepEqual(listed, [
        { sessionId: 's1', createdAt: T0, lastSeenAt: T0 + 5000, browser: 'Chrome on macOS' },
        { sessionId: 's2', createdAt: T0 + 1000, lastSeenAt: T0 + 1000, browser: 'Safari on iOS' },
      ]);
      await index.remove('s1');
      await index.seen('s1', T0 + 9000);
      assert.deepEqual(
        (await index.listForUser('dave')).map((l) => l.sessionId),
        ['s2'],
        'activity after the end brings nothing back',
      );
      assert.deepEqual(await index.find({ sid: 'p1' }), []);
      assert.deepEqual(await index.listForUser('nobody'), []);
    });

    it('remembers how a login was ended, once', async () => {
      const index = await make();
      const ending: LoginEnding = {
        by: 'provider',
        at: T0,
        issuer: 'https://op.example/',
        matched: ['sid', 'sub'],
        refreshTokenRevoked: true,
      };
      assert.equal(await index.takeEnded('s1'), undefined);
      await index.markEnded('s1', ending, 60);
      assert.deepEqual(await index.takeEnded('s1'), ending);
      assert.equal(await index.takeEnded('s1'), undefined, 'the notice is shown once');
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

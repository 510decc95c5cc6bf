/**
 * The Redis backends against a real `redis-server` on a free loopback port:
 * compare-and-set of token sets, the cross-instance refresh lock, the flow log,
 * the session store, one refresh grant for 20 concurrent calls over two
 * instances, and Redis faults (stopped, frozen, back again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type session from 'express-session';
import { AppError } from '../../../src/errors.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import type { TokenSet } from '../../../src/oidc/tokens.js';
import type { FlowEvent } from '../../../src/flow/flow-log.js';
import { createRedisBackends, type RedisBackends } from '../../../src/stores/redis/backends.js';
import { RedisUnavailableError } from '../../../src/stores/redis/connection.js';
import { flowLogKey, RedisFlowLog } from '../../../src/stores/redis/flow-log.js';
import { refreshLockKey } from '../../../src/stores/redis/refresh-lock.js';
import { tokenKey } from '../../../src/stores/redis/token-store.js';
import { TokenService } from '../../../src/tokens/token-service.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { sessionDestroy, sessionGet, sessionSet } from '../../helpers/session-store.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { startTokenEndpoint } from '../../helpers/token-endpoint.js';

function tokenSet(version: number, overrides: Partial<TokenSet> = {}): TokenSet {
  const now = Date.now();
  return {
    accessToken: `at-v${version}`,
    tokenType: 'bearer',
    expiresAt: now + 300_000,
    lifetimeSeconds: 300,
    refreshToken: `rt-v${version}`,
    idToken: undefined,
    scope: 'openid',
    receivedAt: now,
    version,
    ...overrides,
  };
}

function event(n: number): FlowEvent {
  return { type: 'api_call', at: 1_700_000_000_000 + n, data: { n } };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

/** Resolves with how long `promise` took to reject, and the error. */
async function timeRejection(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('expected a rejection');
}

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);

function tokenService(x: RedisBackends, provider: ConstructorParameters<typeof TokenService>[0]['provider']) {
  return new TokenService({
    store: x.tokenStore,
    provider,
    lock: x.refreshLock,
    flowLog: x.flowLog,
    logger: createLogger('silent'),
    idleSeconds: 3600,
  });
}

describe('Redis backends (real redis-server)', () => {
  let redis: RedisServer;
  const opened: RedisBackends[] = [];
  const silent = createLogger('silent');
  let prefixCounter = 0;

  async function backends(
    options: {
      logger?: Logger;
      lockWaitMs?: number;
      lockTtlMs?: number;
      keyPrefix?: string;
      encryptionKeys?: readonly string[];
      clientCache?: boolean;
    } = {},
  ) {
    const created = await createRedisBackends({
      url: redis.url,
      keyPrefix: options.keyPrefix ?? `test${++prefixCounter}:`,
      sessionTtlSeconds: 3600,
      logger: options.logger ?? silent,
      encryptionKeys: options.encryptionKeys ?? [KEY_A],
      ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
      ...(options.lockTtlMs !== undefined ? { lockTtlMs: options.lockTtlMs } : {}),
      ...(options.clientCache !== undefined ? { clientCache: options.clientCache } : {}),
    });
    opened.push(created);
    return created;
  }

  before(async () => {
    redis = await startRedisServer();
  });

  after(async () => {
    await Promise.all(opened.map((b) => b.close()));
    await redis.dispose();
  });

  it('connects and answers ping', async () => {
    const b = await backends();
    assert.equal(b.connected, true);
    await b.ping();
  });

  describe('token store', () => {
    it('update writes only over the previous version and never creates a record; TTL is set and touch extends it', async () => {
      const b = await backends({ keyPrefix: 'cas:' });
      assert.equal(await b.tokenStore.get('s1'), undefined);
      assert.equal(await b.tokenStore.update('s1', tokenSet(2), 600), false, 'no record: nothing is created');
      assert.equal(await b.tokenStore.get('s1'), undefined);
      await b.tokenStore.create('s1', tokenSet(1), 600);
      assert.equal(await b.tokenStore.update('s1', tokenSet(3), 600), false, 'a version was skipped');
      assert.equal(await b.tokenStore.update('s1', tokenSet(2), 600), true);
      // A slow instance writes its older refresh result late: ignored.
      assert.equal(await b.tokenStore.update('s1', tokenSet(2, { accessToken: 'same-version' }), 600), false);
      const stored = await b.tokenStore.get('s1');
      assert.equal(stored?.version, 2);
      assert.equal(stored?.accessToken, 'at-v2');
      assert.equal(stored?.refreshToken, 'rt-v2');
      assert.equal(stored?.idToken, undefined);
      const ttl = await b.client.pTTL(tokenKey('cas:', 's1'));
      assert.ok(ttl > 590_000 && ttl <= 600_000, `TTL ${ttl} ms`);
      await b.tokenStore.touch('s1', 1200);
      assert.ok((await b.client.pTTL(tokenKey('cas:', 's1'))) > 1_190_000, 'touch extends the TTL');
      await b.tokenStore.delete('s1');
      assert.equal(await b.tokenStore.get('s1'), undefined);
      assert.equal(await b.tokenStore.update('s1', tokenSet(3), 600), false, 'a deleted record stays deleted');
      await b.tokenStore.touch('s1', 600);
      assert.equal(await b.client.exists(tokenKey('cas:', 's1')), 0, 'touch does not create either');
    });

    it('of two instances refreshing the same version, exactly one writes', async () => {
      const a = await backends({ keyPrefix: 'cas2:' });
      const b = await backends({ keyPrefix: 'cas2:' });
      await a.tokenStore.create('race', tokenSet(1), 60);
      const writes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).tokenStore.update('race', tokenSet(2, { accessToken: `at-${i}` }), 60),
        ),
      );
      assert.equal(writes.filter(Boolean).length, 1);
      const winner = writes.indexOf(true);
      assert.equal((await a.tokenStore.get('race'))?.accessToken, `at-${winner}`);
    });
  });

  describe('refresh lock', () => {
    it('excludes each other across two instances', async () => {
      const a = await backends({ keyPrefix: 'lock1:' });
      const b = await backends({ keyPrefix: 'lock1:' });
      let inside = 0;
      let maxInside = 0;
      let runs = 0;
      const task = async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await delay(30);
        runs += 1;
        inside -= 1;
        return runs;
      };
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).refreshLock.withLock('sid', task)));
      assert.equal(runs, 10);
      assert.equal(maxInside, 1);
      assert.equal(await a.client.exists(refreshLockKey('lock1:', 'sid')), 0, 'released after the last holder');
    });

    it('is released only by its owner', async () => {
      const a = await backends({ keyPrefix: 'lock2:' });
      const key = refreshLockKey('lock2:', 'sid');
      await a.refreshLock.withLock('sid', async () => {
        // Our lock expired and another instance took it meanwhile.
        await a.client.set(key, 'someone-else', { expiration: { type: 'PX', value: 5_000 } });
      });
      assert.equal(await a.client.get(key), 'someone-else');
      // And a failing task still releases its own lock.
      await a.client.del(key);
      await assert.rejects(
        a.refreshLock.withLock('sid', async () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      assert.equal(await a.client.exists(key), 0);
    });

    it('a lock left by a killed holder blocks no longer than its TTL', async () => {
      const a = await backends({ keyPrefix: 'lock3:' });
      await a.client.set(refreshLockKey('lock3:', 'sid'), 'dead-holder', { expiration: { type: 'PX', value: 600 } });
      const started = Date.now();
      const result = await a.refreshLock.withLock('sid', async () => 'ran');
      const waited = Date.now() - started;
      assert.equal(result, 'ran');
      assert.ok(waited >= 500 && waited < 900, `waited ${waited} ms for a 600 ms lock`);
    });

    it('gives up after lockWaitMs with 503 refresh_busy and Retry-After', async () => {
      const a = await backends({ keyPrefix: 'lock4:', lockWaitMs: 300, lockTtlMs: 4_000 });
      await a.client.set(refreshLockKey('lock4:', 'sid'), 'busy-holder', { expiration: { type: 'PX', value: 5_000 } });
      let ran = false;
      const { ms, error } = await timeRejection(a.refreshLock.withLock('sid', async () => (ran = true)));
      assert.equal(ran, false);
      assert.ok(error instanceof AppError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'refresh_busy');
      assert.equal(error.headers['Retry-After'], '4');
      assert.ok(ms >= 280 && ms < 800, `gave up after ${ms} ms`);
    });
  });

  describe('flow log', () => {
    it('keeps the last 60 events, expires with the session, and can be deleted', async () => {
      const a = await backends({ keyPrefix: 'flow:' });
      for (let n = 1; n <= 70; n += 1) a.flowLog.append('sid', event(n)); // fire-and-forget
      await waitFor(async () => (await a.flowLog.list('sid')).at(-1)?.data.n === 70, 2_000, 'the last append');
      const events = await a.flowLog.list('sid');
      assert.equal(events.length, 60);
      assert.deepEqual(events[0], event(11));
      assert.deepEqual(events.at(-1), event(70));
      const ttl = await a.client.pTTL(flowLogKey('flow:', 'sid'));
      assert.ok(ttl > 3_590_000 && ttl <= 3_600_000, `TTL ${ttl} ms`);
      await a.flowLog.delete('sid');
      assert.deepEqual(await a.flowLog.list('sid'), []);
    });
  });

  describe('flow log batches', () => {
    it('a burst of events is one Redis write per session, and the log reads them all', async () => {
      const b = await backends({ keyPrefix: 'flow-batch:' });
      let writes = 0;
      const counted = {
        ...b.connection,
        keyPrefix: b.connection.keyPrefix,
        logger: b.connection.logger,
        run: b.connection.run.bind(b.connection),
        evalScript: (...args: Parameters<typeof b.connection.evalScript>) => {
          writes += 1;
          return b.connection.evalScript(...args);
        },
      };
      const log = new RedisFlowLog(counted, { ttlSeconds: 60, batchMs: 60_000 });
      for (let n = 1; n <= 50; n += 1) log.append('one', event(n));
      log.append('two', event(1));
      assert.equal(writes, 0, 'nothing is written while the batch is open');
      await log.flush();
      assert.equal(writes, 2, 'one write per session');
      assert.equal((await log.list('one')).length, 50);
      log.append('one', event(51));
      assert.equal((await log.list('one')).at(-1)?.data.n, 51, 'this instance reads its own queued events');
    });
  });

  describe('client-side cache', () => {
    async function getCalls(b: RedisBackends): Promise<number> {
      const info = await b.client.info('commandstats');
      return Number(/cmdstat_get:calls=(\d+)/.exec(info)?.[1] ?? 0);
    }

    it('a record read again is served from memory; with the cache off every read is a GET', async () => {
      for (const [clientCache, expectedGets] of [
        [true, 1],
        [false, 10],
      ] as const) {
        const b = await backends({ clientCache });
        await b.tokenStore.create('sid', tokenSet(1), 600);
        const before = await getCalls(b);
        for (let i = 0; i < 10; i += 1) assert.equal((await b.tokenStore.get('sid'))?.version, 1);
        assert.equal((await getCalls(b)) - before, expectedGets, `clientCache ${clientCache}`);
      }
    });

    it('a record changed or removed by another instance stops being served here within 1 s', async () => {
      const a = await backends({ keyPrefix: 'csc:' });
      const b = await backends({ keyPrefix: 'csc:' });
      await a.tokenStore.create('sid', tokenSet(1), 600);
      await sessionSet(a.sessionStore, 'sid', { cookie: { originalMaxAge: 60_000 } } as session.SessionData);
      assert.equal((await b.tokenStore.get('sid'))?.version, 1);
      assert.ok(await sessionGet(b.sessionStore, 'sid'));

      // B sends nothing of its own below: only Redis's invalidation messages can tell it.
      assert.equal(await a.tokenStore.update('sid', tokenSet(2), 600), true);
      await waitFor(async () => (await b.tokenStore.get('sid'))?.version === 2, 1_000, 'the new version on B');
      await a.tokenStore.delete('sid');
      await sessionDestroy(a.sessionStore, 'sid');
      await waitFor(async () => (await b.tokenStore.get('sid')) === undefined, 1_000, 'the logout on B');
      await waitFor(async () => (await sessionGet(b.sessionStore, 'sid')) == null, 1_000, 'the session gone on B');
    });

    it('nothing read before a dropped connection is served after it', async () => {
      const b = await backends({ keyPrefix: 'drop:' });
      await b.tokenStore.create('sid', tokenSet(1), 600);
      await sessionSet(b.sessionStore, 'sid', { cookie: { originalMaxAge: 60_000 } } as session.SessionData);
      assert.equal((await b.tokenStore.get('sid'))?.version, 1);
      assert.ok(await sessionGet(b.sessionStore, 'sid'));
      // The server comes back empty (no persistence): no invalidation ever reaches B, only the drop.
      await redis.kill();
      await waitFor(async () => !b.connected, 2_000, 'the client to notice');
      await redis.start();
      await waitFor(async () => b.connected, 10_000, 'the reconnect');
      assert.equal(await b.tokenStore.get('sid'), undefined);
      assert.equal(await sessionGet(b.sessionStore, 'sid'), null);
    });
  });

  describe('session store and JSON cache', () => {
    it('stores sessions under <prefix>sess: with the cookie lifetime as TTL', async () => {
      const a = await backends({ keyPrefix: 'sess-test:' });
      const data = {
        cookie: { originalMaxAge: 120_000, expires: new Date(Date.now() + 120_000), httpOnly: true, path: '/' },
        authenticatedAt: 123,
      } as unknown as session.SessionData;
      await sessionSet(a.sessionStore, 'abc', data);
      const ttl = await a.client.ttl('sess-test:sess:abc');
      assert.ok(ttl > 110 && ttl <= 120, `TTL ${ttl} s`);
      const loaded = (await sessionGet(a.sessionStore, 'abc')) as unknown as { authenticatedAt: number };
      assert.equal(loaded.authenticatedAt, 123);
      await sessionDestroy(a.sessionStore, 'abc');
      assert.equal(await sessionGet(a.sessionStore, 'abc'), null);
    });

    it('RedisJsonCache: get/set with TTL/delete, shared between instances', async () => {
      const a = await backends({ keyPrefix: 'cache:' });
      const b = await backends({ keyPrefix: 'cache:' });
      const cacheA = a.jsonCache<{ accessToken: string; expiresAt: number }>('m2m');
      const cacheB = b.jsonCache<{ accessToken: string; expiresAt: number }>('m2m');
      assert.equal(await cacheA.get('k'), undefined);
      await cacheA.set('k', { accessToken: 'm2m-1', expiresAt: 42 }, 30);
      assert.deepEqual(await cacheB.get('k'), { accessToken: 'm2m-1', expiresAt: 42 });
      const ttl = await a.client.pTTL('cache:m2m:k');
      assert.ok(ttl > 29_000 && ttl <= 30_000, `TTL ${ttl} ms`);
      await cacheB.delete('k');
      assert.equal(await cacheA.get('k'), undefined);
    });
  });

  describe('two instances, one refresh', () => {
    it('20 concurrent getTokens over two TokenServices with an expired token → exactly one refresh grant', async () => {
      const endpoint = await startTokenEndpoint('rt-initial');
      try {
        const a = await backends({ keyPrefix: 'cluster:' });
        const b = await backends({ keyPrefix: 'cluster:' });
        const service = (x: RedisBackends) =>
          new TokenService({
            store: x.tokenStore,
            provider: endpoint.provider,
            lock: x.refreshLock,
            flowLog: x.flowLog,
            logger: silent,
            idleSeconds: 3600,
          });
        const one = service(a);
        const two = service(b);
        const expired = tokenSet(1, {
          accessToken: 'at-expired',
          refreshToken: 'rt-initial',
          expiresAt: Date.now() - 1_000,
          lifetimeSeconds: 60,
        });
        await one.saveLogin('sid', expired);

        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).getTokens('sid')));
        assert.equal(endpoint.counts.grants, 1, 'exactly one refresh grant at the provider');
        assert.equal(endpoint.counts.reused, 0, 'no refresh token was reused');
        assert.equal(one.refreshCount + two.refreshCount, 1);
        for (const tokens of results) assert.equal(tokens.accessToken, 'at-refreshed-1');
        const stored = await b.tokenStore.get('sid');
        assert.equal(stored?.refreshToken, 'rt-rotated-1', 'the newest refresh token is stored');
        assert.equal(stored?.version, 2);

        // A holder killed mid-refresh left its lock behind; the token is expired again.
        await a.tokenStore.update('sid', { ...stored!, expiresAt: Date.now() - 1_000, version: 3 }, 3600);
        await a.client.set(refreshLockKey('cluster:', 'sid'), 'killed-holder', {
          expiration: { type: 'PX', value: 700 },
        });
        const started = Date.now();
        const next = await Promise.all([one.getTokens('sid'), two.getTokens('sid'), two.getTokens('sid')]);
        const waited = Date.now() - started;
        assert.equal(endpoint.counts.grants, 2);
        assert.equal(endpoint.counts.reused, 0);
        for (const tokens of next) assert.equal(tokens.accessToken, 'at-refreshed-2');
        assert.ok(waited >= 600 && waited < 1_500, `refreshed ${waited} ms after a 700 ms orphaned lock`);
      } finally {
        await endpoint.close();
      }
    });
  });

  describe('refreshes that race their lock or their login', () => {
    const service = tokenService;

    it('a provider slower than the lock lease: the holder keeps the lock, one grant, no refresh token reused', async () => {
      const endpoint = await startTokenEndpoint('rt-initial', 1_200);
      try {
        const a = await backends({ keyPrefix: 'lease:', lockTtlMs: 400, lockWaitMs: 5_000 });
        const b = await backends({ keyPrefix: 'lease:', lockTtlMs: 400, lockWaitMs: 5_000 });
        const one = service(a, endpoint.provider);
        const two = service(b, endpoint.provider);
        const expired = tokenSet(1, { refreshToken: 'rt-initial', expiresAt: Date.now() - 1_000, lifetimeSeconds: 60 });
        await one.saveLogin('sid', expired);
        const first = one.getTokens('sid');
        await delay(700); // past the lease: without a watchdog the lock is gone by now
        const second = two.getTokens('sid');
        const results = await Promise.allSettled([first, second]);
        assert.equal(endpoint.counts.reused, 0, 'no instance sent the rotated-away refresh token');
        assert.equal(endpoint.counts.grants, 1);
        for (const result of results) {
          assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
          assert.equal(result.value.accessToken, 'at-refreshed-1');
        }
      } finally {
        await endpoint.close();
      }
    });

    it('an early refresh does not wait for another instance that holds the lock: the valid token serves', async () => {
      const endpoint = await startTokenEndpoint('rt-initial');
      try {
        const a = await backends({ keyPrefix: 'early-busy:', lockTtlMs: 10_000, lockWaitMs: 10_000 });
        const tokens = service(a, endpoint.provider);
        const now = Date.now();
        const valid = tokenSet(1, { lifetimeSeconds: 60, receivedAt: now - 50_000, expiresAt: now + 10_000 });
        await tokens.saveLogin('sid', valid);
        // Another instance is refreshing (and its provider hangs).
        await a.client.set(refreshLockKey('early-busy:', 'sid'), 'other-instance', {
          expiration: { type: 'PX', value: 10_000 },
        });
        const first = await Promise.race([
          tokens.getTokens('sid'),
          delay(5_000, 'waited for the lock', { ref: false }),
        ]);
        assert.equal(typeof first === 'string' ? first : first.accessToken, 'at-v1');
        assert.equal(endpoint.counts.requests, 0);
      } finally {
        await endpoint.close();
      }
    });

    it('logout during a refresh: nothing comes back, and the new refresh token is revoked', async () => {
      const endpoint = await startTokenEndpoint('rt-initial', 0);
      try {
        const a = await backends({ keyPrefix: 'logout-race:' });
        const tokens = service(a, endpoint.provider);
        await tokens.saveLogin(
          'sid',
          tokenSet(1, { refreshToken: 'rt-initial', expiresAt: Date.now() - 1_000, lifetimeSeconds: 60 }),
        );
        const answer = endpoint.hold();
        const refreshing = tokens.getTokens('sid');
        await endpoint.whenRequests(1); // the refresh grant is at the provider now
        await tokens.endLogin('sid');
        answer();
        await assert.rejects(refreshing, (err: unknown) => err instanceof AppError && err.code === 'login_required');
        assert.equal(await a.client.exists(tokenKey('logout-race:', 'sid')), 0, 'no token record was created');
        assert.deepEqual([...endpoint.revoked].sort(), ['rt-initial', 'rt-rotated-1']);
      } finally {
        await endpoint.close();
      }
    });
  });

  describe('tokens at rest', () => {
    const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

    it('token sets and M2M cache entries are encrypted: Redis holds no JWT and no refresh token', async () => {
      const a = await backends({ keyPrefix: 'at-rest:' });
      const endpoint = await startTokenEndpoint('rt-initial');
      try {
        await tokenService(a, endpoint.provider).saveLogin(
          'sid',
          tokenSet(1, { accessToken: jwtLike, idToken: jwtLike, refreshToken: 'rt-very-secret' }),
        );
      } finally {
        await endpoint.close();
      }
      await a.jsonCache<{ accessToken: string }>('m2m').set('k', { accessToken: jwtLike }, 60);
      const keys = await a.client.keys('at-rest:*');
      assert.equal(keys.length, 2, keys.join(', '));
      for (const key of keys) {
        const raw = String(await a.client.get(key));
        assert.ok(!raw.includes('eyJ'), `${key} holds a JWT`);
        assert.ok(!raw.includes('rt-very-secret'), `${key} holds the refresh token`);
      }
      assert.equal((await a.tokenStore.get('sid'))?.refreshToken, 'rt-very-secret');
      assert.equal((await a.jsonCache<{ accessToken: string }>('m2m').get('k'))?.accessToken, jwtLike);
    });

    it('keys rotate: the first key encrypts, every key decrypts; a record under a dropped key reads as absent', async () => {
      const old = await backends({ keyPrefix: 'rotate:', encryptionKeys: [KEY_A] });
      const rotated = await backends({ keyPrefix: 'rotate:', encryptionKeys: [KEY_B, KEY_A] });
      const dropped = await backends({ keyPrefix: 'rotate:', encryptionKeys: [KEY_B] });
      await old.tokenStore.create('before', tokenSet(1), 600);
      await rotated.tokenStore.create('after', tokenSet(1), 600);
      assert.equal((await rotated.tokenStore.get('before'))?.accessToken, 'at-v1');
      assert.equal((await dropped.tokenStore.get('after'))?.accessToken, 'at-v1');
      assert.equal(await dropped.tokenStore.get('before'), undefined);
      // A record moved to another session does not decrypt there.
      await old.client.copy(tokenKey('rotate:', 'before'), tokenKey('rotate:', 'stolen'));
      assert.equal(await old.tokenStore.get('stolen'), undefined);
    });

    it('decrypts once per token version, not once per read', async () => {
      const a = await backends({ keyPrefix: 'decrypt-once:' });
      const b = await backends({ keyPrefix: 'decrypt-once:' });
      await a.tokenStore.create('sid', tokenSet(1), 600);
      const before = b.cipher.decryptions;
      for (let i = 0; i < 10; i += 1) assert.equal((await b.tokenStore.get('sid'))?.version, 1);
      assert.equal(b.cipher.decryptions - before, 1);
      assert.equal(await a.tokenStore.update('sid', tokenSet(2), 600), true);
      // B has read Redis's invalidation of its cached record once one round trip of its own is done.
      await b.ping();
      for (let i = 0; i < 10; i += 1) assert.equal((await b.tokenStore.get('sid'))?.version, 2);
      assert.equal(b.cipher.decryptions - before, 2);
    });
  });

  // Last: these stop and freeze the shared server.
  describe('faults', () => {
    it('Redis frozen (SIGSTOP) → calls fail within the command timeout, then work again', async () => {
      const a = await backends({ keyPrefix: 'slow:' });
      await a.tokenStore.create('sid', tokenSet(1), 60);
      redis.pause();
      try {
        const { ms, error } = await timeRejection(a.tokenStore.get('sid'));
        assert.ok(error instanceof RedisUnavailableError);
        assert.equal(error.status, 503);
        assert.ok(ms >= 1_900 && ms < 3_000, `failed after ${ms} ms`);
        const session = await timeRejection(sessionGet(a.sessionStore, 'x'));
        assert.ok(session.ms < 3_000, `session get failed after ${session.ms} ms`);
      } finally {
        redis.resume();
      }
      assert.equal((await a.tokenStore.get('sid'))?.version, 1);
    });

    it('Redis killed → everything fails fast with 503, no crash; Redis back → the same backends work again', async () => {
      const captured = captureLogs('debug');
      const a = await backends({ keyPrefix: 'outage:', logger: captured.logger });
      const b = await backends({ keyPrefix: 'outage:' });
      await a.tokenStore.create('sid', tokenSet(1), 60);

      await redis.kill(); // SIGKILL: no goodbye from the server
      const stoppedAt = Date.now();
      await waitFor(async () => !a.connected, 2_000, 'the client to notice');
      const noticedMs = Date.now() - stoppedAt;

      const operations: Array<[string, () => Promise<unknown>]> = [
        ['tokenStore.get', () => a.tokenStore.get('sid')],
        ['tokenStore.update', () => a.tokenStore.update('sid', tokenSet(2), 60)],
        ['tokenStore.delete', () => a.tokenStore.delete('sid')],
        ['refreshLock.withLock', () => a.refreshLock.withLock('sid', async () => 'never')],
        ['flowLog.list', () => a.flowLog.list('sid')],
        ['sessionStore.get', () => sessionGet(a.sessionStore, 'sid')],
        ['jsonCache.get', () => a.jsonCache('m2m').get('k')],
        ['ping', () => a.ping()],
      ];
      const failMs: string[] = [];
      for (const [name, run] of operations) {
        const { ms, error } = await timeRejection(run());
        failMs.push(`${name} ${ms} ms`);
        assert.ok(error instanceof Error, name);
        assert.ok(ms < 3_000, `${name} failed after ${ms} ms`);
        if (name !== 'sessionStore.get') {
          assert.ok(error instanceof RedisUnavailableError, `${name}: ${String(error)}`);
          assert.equal(error.status, 503);
          assert.equal(error.code, 'session_store_unavailable');
        }
      }
      a.flowLog.append('sid', event(1)); // fire-and-forget: must neither throw nor reject unhandled
      await delay(1_000); // let several reconnect attempts fail
      const restartAt = Date.now();
      await redis.start();
      const reconnectMs = await waitFor(async () => (await a.ping(), true), 10_000, 'reconnect');
      await waitFor(async () => (await b.ping(), true), 10_000, 'reconnect of the second instance');
      const totalMs = Date.now() - restartAt;

      // Same objects, no restart: writes and reads work (the test server has no persistence).
      await a.tokenStore.create('sid', tokenSet(5), 60);
      assert.equal((await b.tokenStore.get('sid'))?.version, 5);
      assert.equal(await b.refreshLock.withLock('sid', async () => 'ran'), 'ran');

      const messages = captured
        .lines<{ msg: string; level: number }>()
        .filter((l) => l.level >= 30)
        .map((l) => l.msg);
      assert.equal(messages.filter((m) => m.startsWith('Redis connection lost')).length, 1, messages.join('\n'));
      assert.equal(messages.filter((m) => m === 'Redis connection restored').length, 1, messages.join('\n'));
      assert.ok(!messages.some((m) => m.startsWith('Redis not reachable')), messages.join('\n'));
      console.log(
        `# redis outage: client noticed after ${noticedMs} ms; back ${reconnectMs} ms after redis-server answered (restart+reconnect ${totalMs} ms); failures: ${failMs.join(', ')}`,
      );
    });

    it('starting while Redis is down: returns promptly, answers 503, connects when Redis appears', async () => {
      await redis.stop();
      const captured = captureLogs('debug');
      const started = Date.now();
      const a = await backends({ keyPrefix: 'late:', logger: captured.logger });
      const createMs = Date.now() - started;
      assert.ok(createMs < 3_000, `createRedisBackends took ${createMs} ms`);
      assert.equal(a.connected, false);
      const { ms, error } = await timeRejection(a.tokenStore.get('sid'));
      assert.ok(error instanceof RedisUnavailableError);
      assert.ok(ms < 50, `failed after ${ms} ms`);
      await redis.start();
      await waitFor(async () => (await a.ping(), true), 10_000, 'first connection');
      const messages = captured
        .lines<{ msg: string; level: number }>()
        .filter((l) => l.level >= 30)
        .map((l) => l.msg);
      assert.equal(messages.filter((m) => m.startsWith('Redis not reachable yet')).length, 1, messages.join('\n'));
      assert.equal(messages.filter((m) => m === 'Redis connection restored').length, 1, messages.join('\n'));
    });
  });
});

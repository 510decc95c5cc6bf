/**
 * Rate-limit keys and buckets (src/web/rate-limit.ts), on a loopback server
 * that runs one limiter per request (`TRUST_PROXY=1`, so `X-Forwarded-For`
 * plays the client address): sessions behind one address get a budget each,
 * forged cookies count as none, IPv6 counts by /56, a per-session bucket
 * skips requests without a session, and with Redis two instances share counters,
 * which each instance adds to Redis in batches (src/stores/redis/rate-limit-counter.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sign } from 'cookie-signature';
import { createLogger } from '../../src/logger.js';
import { SessionCookieVerifier } from '../../src/session/session-cookie.js';
import { createRedisBackends, type RedisBackends } from '../../src/stores/redis/backends.js';
import { RedisUnavailableError } from '../../src/stores/redis/connection.js';
import { BatchedRedisCounter, FRESH_MS, redisRateLimitStore } from '../../src/stores/redis/rate-limit-counter.js';
import { rateLimiter, type RateLimitContext, type RateLimiterOptions } from '../../src/web/rate-limit.js';
import { setTimeout as delay } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { randomBytes } from 'node:crypto';

const SECRET = 'rate-limit-test-secret-0123456789abcdef';
const sessionCookies = new SessionCookieVerifier({ cookieName: 'sid', secrets: [SECRET] });

function cookieFor(id: string, secret = SECRET): string {
  return `sid=${encodeURIComponent(`s:${sign(id, secret)}`)}`;
}

/** A server answering 200, or 429 once the limiter refuses. */
async function limitedServer(
  context: RateLimitContext,
  options: RateLimiterOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const limiter = rateLimiter(context, options);
  const server = http.createServer((req, res) => {
    limiter.check(req, res).then(
      () => res.writeHead(200).end(),
      () => res.writeHead(429).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function statuses(url: string, count: number, headers: Record<string, string>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await fetch(url, { headers });
    seen.push(res.status);
  }
  return seen;
}

describe('rate-limit keys', () => {
  const context: RateLimitContext = { trustProxy: 1, sessionCookies };

  it('keys /api by session first: two sessions behind one address each get the whole budget', async () => {
    const server = await limitedServer(context, { name: 'api', perMinute: 3, key: 'session-or-ip' });
    try {
      const office = { 'X-Forwarded-For': '198.51.100.7' };
      assert.deepEqual(
        await statuses(server.url, 4, { ...office, Cookie: cookieFor('session-a') }),
        [200, 200, 200, 429],
      );
      assert.deepEqual(await statuses(server.url, 3, { ...office, Cookie: cookieFor('session-b') }), [200, 200, 200]);
      // Without a session the address is the key, in its own bucket.
      assert.deepEqual(await statuses(server.url, 4, office), [200, 200, 200, 429]);
    } finally {
      await server.close();
    }
  });

  it('counts a forged or oversized session cookie as none: rotating cookies gains nothing', async () => {
    const server = await limitedServer(context, { name: 'api', perMinute: 3, key: 'session-or-ip' });
    try {
      const seen: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const forged =
          i % 2 === 0
            ? cookieFor(`forged-${i}`, 'not-our-secret-not-our-secret-000')
            : `sid=s%3A${'x'.repeat(4000)}${i}`;
        seen.push((await fetch(server.url, { headers: { 'X-Forwarded-For': '203.0.113.9', Cookie: forged } })).status);
      }
      assert.deepEqual(seen, [200, 200, 200, 429]);
    } finally {
      await server.close();
    }
  });

  it('counts IPv6 clients by /56: rotating through one prefix gains nothing', async () => {
    const server = await limitedServer(context, { name: 'api', perMinute: 3, key: 'ip' });
    try {
      const seen: number[] = [];
      for (const address of ['2001:db8:0:1::1', '2001:db8:0:2::7', '2001:db8:0:ff::1', '2001:db8:0:42::9']) {
        seen.push((await fetch(server.url, { headers: { 'X-Forwarded-For': address } })).status);
      }
      assert.deepEqual(seen, [200, 200, 200, 429]);
      assert.equal((await fetch(server.url, { headers: { 'X-Forwarded-For': '2001:db8:0:100::1' } })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('a per-session bucket counts only requests with a session', async () => {
    const server = await limitedServer(context, { name: 'login-session', perMinute: 2, key: 'session' });
    try {
      const office = { 'X-Forwarded-For': '198.51.100.8' };
      assert.deepEqual(await statuses(server.url, 5, office), [200, 200, 200, 200, 200]);
      assert.deepEqual(await statuses(server.url, 3, { ...office, Cookie: cookieFor('busy-tab') }), [200, 200, 429]);
    } finally {
      await server.close();
    }
  });
});

describe('rate limits across instances (REDIS_URL)', () => {
  let redis: RedisServer;
  let backends: RedisBackends;
  before(async () => {
    redis = await startRedisServer();
    backends = await createRedisBackends({
      url: redis.url,
      sessionTtlSeconds: 60,
      logger: createLogger('silent'),
      encryptionKeys: [randomBytes(32).toString('hex')],
    });
  });
  after(async () => {
    await backends.close();
    await redis.dispose();
  });

  /** One instance's counters: what `REDIS_URL` gives each app process. */
  const instanceStore = () => redisRateLimitStore(backends.connection);
  const options = (name: string): RateLimiterOptions => ({ name, perMinute: 3, key: 'session-or-ip' });
  /** Longer than a total may be answered from memory, so the next hit asks Redis. */
  const quietSpell = () => delay(FRESH_MS + 50);

  it('one instance counts exactly, also between its flushes to Redis', async () => {
    const one = await limitedServer({ trustProxy: 1, sessionCookies, store: instanceStore() }, options('exact'));
    try {
      const headers = { 'X-Forwarded-For': '192.0.2.43', Cookie: cookieFor('one-instance') };
      assert.deepEqual(await statuses(one.url, 5, headers), [200, 200, 200, 429, 429]);
    } finally {
      await one.close();
    }
  });

  it('two instances share one budget per key', async () => {
    const one = await limitedServer({ trustProxy: 1, sessionCookies, store: instanceStore() }, options('api'));
    const two = await limitedServer({ trustProxy: 1, sessionCookies, store: instanceStore() }, options('api'));
    try {
      const headers = { 'X-Forwarded-For': '192.0.2.44', Cookie: cookieFor('shared-session') };
      const seen = [...(await statuses(one.url, 2, headers))];
      await quietSpell();
      seen.push(...(await statuses(two.url, 1, headers)));
      await quietSpell();
      seen.push(...(await statuses(one.url, 1, headers)));
      await quietSpell();
      seen.push(...(await statuses(two.url, 1, headers)));
      assert.deepEqual(seen, [200, 200, 200, 429, 429]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('adds a burst of hits to Redis in one command, not one per hit', async () => {
    const store = instanceStore()('burst') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    const scriptCalls = async () => {
      const stats = await backends.connection.run('test', (client) => client.info('commandstats'));
      return [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const callsBefore = await scriptCalls();
    assert.equal((await store.increment('k')).totalHits, 1, 'the first hit waits for Redis');
    for (let i = 2; i <= 1000; i += 1) {
      const answer = store.increment('k');
      assert.ok(!(answer instanceof Promise), 'a hit on a fresh total is answered from memory');
      assert.equal(answer.totalHits, i);
    }
    await store.flush();
    const stored = await backends.connection.run('test', (client) => client.get(`${store.prefix}k`));
    assert.equal(stored, '1000');
    // The first hit's script and at most a flush or two: the old store sent 1,000.
    assert.ok((await scriptCalls()) - callsBefore <= 3);
    store.shutdown();
  });

  it('first hits that arrive while another key is being sent all wait for Redis, and none fails', async () => {
    const store = instanceStore()('race') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    await store.increment('other');
    store.increment('other');
    // A flush is on its way with the other key only; two first hits of `k` arrive meanwhile.
    const onItsWay = store.flush();
    const answers = await Promise.all([store.increment('k'), store.increment('k')]);
    await onItsWay;
    assert.deepEqual(answers.map((answer) => answer.totalHits).sort(), [2, 2]);
    store.shutdown();
  });

  it('a hit waiting for Redis when its window ends (or its key is reset) is counted in the next window', async () => {
    const store = instanceStore()('window-end') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    await store.increment('k');
    await quietSpell();
    // A flush is on its way with another key only; `k`'s next hit waits for Redis, and its window goes meanwhile.
    const other = store.increment('other');
    const hit = store.increment('k');
    const reset = store.resetKey('k');
    assert.equal((await hit).totalHits, 1);
    await Promise.all([other, reset]);
    store.shutdown();
  });

  it('closing sends what is counted', async () => {
    const factory = instanceStore();
    const store = factory('closing') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    await store.increment('k');
    store.increment('k');
    await factory.close();
    assert.equal(await backends.connection.run('test', (client) => client.get(`${store.prefix}k`)), '2');
  });

  it('hands counted hits to Redis without being asked', async () => {
    const store = instanceStore()('unasked') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    await store.increment('k');
    store.increment('k');
    store.increment('k');
    const key = `${store.prefix}k`;
    let stored: string | null = null;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline && stored !== '3'; await delay(20)) {
      stored = await backends.connection.run('test', (client) => client.get(key));
    }
    assert.equal(stored, '3');
    store.shutdown();
  });

  it('starts a new window when the last one has ended', async () => {
    const store = instanceStore()('window') as BatchedRedisCounter;
    store.init({ windowMs: 300 });
    await store.increment('k');
    const second = await store.increment('k');
    assert.equal(second.totalHits, 2);
    await delay(Math.max(0, (second.resetTime?.getTime() ?? 0) - Date.now()) + 100);
    assert.equal((await store.increment('k')).totalHits, 1);
    store.shutdown();
  });

  it('Redis down: a hit that must ask Redis fails with RedisUnavailableError (a 503), and the counter recovers', async () => {
    const store = instanceStore()('outage') as BatchedRedisCounter;
    store.init({ windowMs: 60_000 });
    await redis.stop();
    try {
      await assert.rejects(async () => store.increment('cold'), RedisUnavailableError);
    } finally {
      await redis.start();
    }
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await delay(50)) {
      try {
        await store.increment('after');
        break;
      } catch {
        // Still reconnecting.
      }
    }
    await delay(FRESH_MS + 50);
    // The hit refused during the outage was kept and reaches Redis with the next flush.
    assert.equal((await store.increment('cold')).totalHits, 2);
    store.shutdown();
  });
});

/**
 * Rate-limit keys and buckets (src/web/rate-limit.ts), on a loopback server
 * that runs one limiter per request (`TRUST_PROXY=1`, so `X-Forwarded-For`
 * plays the client address): sessions behind one address get a budget each,
 * forged cookies count as none, IPv6 counts by /56, a per-session bucket
 * skips requests without a session, and with Redis two instances share counters.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sign } from 'cookie-signature';
import { createLogger } from '../../src/logger.js';
import { SessionCookieVerifier } from '../../src/session/session-cookie.js';
import { createRedisBackends, type RedisBackends } from '../../src/stores/redis/backends.js';
import {
  rateLimiter,
  redisRateLimitStore,
  type RateLimitContext,
  type RateLimiterOptions,
} from '../../src/web/rate-limit.js';
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

  it('two instances share one budget per key', async () => {
    const store = redisRateLimitStore(backends.connection);
    const options: RateLimiterOptions = { name: 'api', perMinute: 3, key: 'session-or-ip' };
    const one = await limitedServer({ trustProxy: 1, sessionCookies, store }, options);
    const two = await limitedServer({ trustProxy: 1, sessionCookies, store }, options);
    try {
      const headers = { 'X-Forwarded-For': '192.0.2.44', Cookie: cookieFor('shared-session') };
      const seen = [
        ...(await statuses(one.url, 2, headers)),
        ...(await statuses(two.url, 1, headers)),
        ...(await statuses(one.url, 1, headers)),
        ...(await statuses(two.url, 1, headers)),
      ];
      assert.deepEqual(seen, [200, 200, 200, 429, 429]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

/**
 * A login's DPoP key with Redis: encrypted at rest inside the token record, and usable by any
 * instance, which imports it from the record (proofs and refreshes keep the same key).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { decodeJwt } from 'jose';
import { tokenKey } from '../../src/stores/redis/token-store.js';
import { expireAccessToken, logIn, refreshGrants, sessionIdOf, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startStack, type AppInstance, type Stack } from '../helpers/stack.js';

let redis: RedisServer;
let stack: Stack;
let second: AppInstance;

before(async () => {
  redis = await startRedisServer();
  stack = await startStack({ OIDC_DPOP: 'on', REDIS_URL: redis.url, DEMO_ACCESS_TOKEN_TTL: '600' });
  second = await stack.addInstance();
});

after(async () => {
  await stack.close();
  await redis.dispose();
});

describe('DPoP keys with Redis', () => {
  it('keeps the key encrypted with the tokens; another instance proves and refreshes with it', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const sessionId = sessionIdOf(browser, stack) ?? '';
    const tokens = await tokensOf(browser, stack);
    assert.ok(tokens?.dpopKey);
    const { jkt, jwk } = tokens.dpopKey;

    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const stored = String(await raw.get(tokenKey('oidc-bff:', sessionId)));
      assert.match(stored, /^\d+:a256gcm\./);
      for (const secret of [String(jwk.d), jkt, tokens.accessToken]) assert.ok(!stored.includes(secret));
    } finally {
      await raw.quit();
    }

    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    const viaSecond = (path: string) =>
      fetch(`${second.url}/api${path}`, { headers: { cookie, 'X-CSRF': '1', Accept: 'application/json' } });
    assert.equal((await viaSecond('/me')).status, 200);
    await expireAccessToken(stack, sessionId);
    const before = refreshGrants(stack);
    assert.equal((await viaSecond('/appointments')).status, 200);
    assert.equal(refreshGrants(stack), before + 1);
    const refreshed = await second.services.tokens.peek(sessionId);
    assert.equal(refreshed?.dpopKey?.jkt, jkt);
    assert.equal((decodeJwt(refreshed?.accessToken ?? '')['cnf'] as { jkt: string }).jkt, jkt);
  });
});

/**
 * Two instances sharing Redis, two APIs getting user tokens: after both tokens expire, calls
 * spread over both instances and both APIs make one grant per API, and the grants take turns
 * with the session's one refresh token (the demo provider rotates it and revokes the grant on a
 * reuse, so a reuse would show as a failed grant).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_MANAGEMENT_AUDIENCE, DEMO_MANAGEMENT_SCOPE } from '../../../src/config/config.js';
import { logIn, sessionIdOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { startRecordingApi, type RecordingApi } from '../../helpers/recording-api.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { startStack, type AppInstance, type Stack } from '../../helpers/stack.js';

const BILLING = 'https://billing.demo-api.example/';

let redis: RedisServer;
let billing: RecordingApi;
let stack: Stack;
let second: AppInstance;

before(async () => {
  [redis, billing] = await Promise.all([startRedisServer(), startRecordingApi()]);
  stack = await startStack(
    {
      REDIS_URL: redis.url,
      API_BILLING_BASE_URL: billing.url,
      API_BILLING_RESOURCE: BILLING,
      API_BILLING_SCOPE: 'read:invoices',
    },
    {
      demoProvider: {
        extraApis: [
          { audience: DEMO_MANAGEMENT_AUDIENCE, userScopes: [], m2mScopes: DEMO_MANAGEMENT_SCOPE.split(' ') },
          { audience: BILLING, userScopes: ['read:invoices'], m2mScopes: [] },
        ],
      },
    },
  );
  second = await stack.addInstance();
});

after(async () => {
  await stack?.close();
  await Promise.all([redis?.dispose(), billing?.close()]);
});

describe('two instances, two user APIs, one refresh token', () => {
  it('20 calls over both instances and both APIs after expiry make one grant per API, never reusing a rotated token', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const cookie = browser.cookiesFor(`${stack.appUrl}/`);
    const call = (base: string, path: string) =>
      fetch(`${base}${path}`, { headers: { cookie, 'X-CSRF': '1', Accept: 'application/json' } });
    assert.equal((await call(second.url, '/api/billing/invoices')).status, 200);

    const sessionId = sessionIdOf(browser, stack) ?? '';
    const tokens = await stack.services.tokens.peek(sessionId);
    assert.ok(tokens?.apiTokens?.['billing']);
    const past = Date.now() - 1000;
    await stack.services.tokens.saveLogin(sessionId, {
      ...tokens,
      expiresAt: past,
      apiTokens: { billing: { ...tokens.apiTokens['billing'], expiresAt: past } },
      version: tokens.version + 1,
    });
    stack.provider.resetStats();

    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const base = i % 2 === 0 ? stack.appUrl : second.url;
        const res = await call(base, i % 4 < 2 ? '/api/me' : '/api/billing/invoices');
        return res.status;
      }),
    );
    assert.deepEqual(
      statuses,
      statuses.map(() => 200),
    );
    assert.equal(stack.provider.stats.grants['refresh_token'], 2);
    assert.equal(stack.provider.stats.grantErrors['refresh_token'] ?? 0, 0);
  });
});

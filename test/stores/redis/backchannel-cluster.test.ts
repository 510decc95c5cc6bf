/**
 * Back-channel logout across two app instances sharing a real redis-server: the
 * login is made and used on instance A, the provider's logout token reaches
 * instance B (as a load balancer may send it), and the login ends on A too:
 * its next /api call is refused, its refresh token is revoked at the provider,
 * and its next page says it was signed out at the identity provider.
 */
import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEMO_CLIENT } from '../../../src/config/config.js';
import { createApp } from '../../../src/web/app.js';
import {
  ALICE,
  apiCall,
  BOB,
  logIn,
  loginNamesOf,
  refreshTokenWorks,
  sessionIdOf,
  tokensOf,
} from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { confirmLogoutAtProvider, providerLogoutToken } from '../../helpers/provider-login.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { startStack, type AppInstance, type Stack } from '../../helpers/stack.js';

let redis: RedisServer;
let stack: Stack;
let instanceB: AppInstance;
/** What reached instance B's /backchannel-logout through the "load balancer" below. */
const deliveredToB: number[] = [];

before(async () => {
  redis = await startRedisServer();
  stack = await startStack({ REDIS_URL: redis.url, DEMO_ACCESS_TOKEN_TTL: '600' });
  instanceB = await stack.addInstance();
  // The provider posts its logout tokens to the registered BASE_URL/backchannel-logout, the address of
  // instance A. A load balancer in front of both decides who answers: here, everything goes to A
  // except those posts, which go to B.
  const appB = createApp(instanceB.services);
  const [appA] = stack.appServer.listeners('request') as RequestListener[];
  assert.ok(appA);
  stack.appServer.removeAllListeners('request');
  stack.appServer.on('request', (req, res) => {
    if (req.url === '/backchannel-logout') {
      appB(req, res);
      res.once('finish', () => deliveredToB.push(res.statusCode));
    } else appA(req, res);
  });
});

after(async () => {
  await stack.close();
  await redis.dispose();
});

describe('back-channel logout with two instances on Redis', () => {
  it('a logout token that reaches instance B ends both logins made on instance A', async () => {
    // Two browsers of one user on A; the second signs in through the first's provider session (same sid).
    const first = new Browser();
    await logIn(stack, first, ALICE);
    const second = new Browser();
    second.copyCookies(first, stack.issuer);
    await logIn(stack, second, ALICE);
    const bob = new Browser();
    await logIn(stack, bob, BOB);
    const held = [await tokensOf(first, stack), await tokensOf(second, stack)];
    for (const [i, browser] of [first, second].entries()) {
      const refreshToken = held[i]?.refreshToken ?? '';
      assert.ok(await refreshTokenWorks(stack, refreshToken));
      assert.equal((await apiCall(browser, stack, '/appointments')).status, 200, 'the login works on A');
    }
    // Instance B has never served these sessions: nothing it knows of them comes from its own memory.
    assert.equal(instanceB.services.tokens.refreshCount, 0);

    // The user signs out on the provider's own end-session page (from the browser holding its newest cookie).
    const endSession = new URL(stack.services.provider.get().serverMetadata().end_session_endpoint ?? '');
    endSession.searchParams.set('client_id', DEMO_CLIENT.clientId);
    await confirmLogoutAtProvider(second, endSession);
    assert.deepEqual(deliveredToB, [200], 'the provider’s logout token was answered by instance B');

    // On instance A: tokens gone, the API refuses, the refresh tokens are dead at the provider.
    for (const [i, browser] of [first, second].entries()) {
      assert.equal(await stack.services.tokens.peek(sessionIdOf(browser, stack) ?? ''), undefined);
      const api = await apiCall(browser, stack, '/appointments');
      assert.equal(api.status, 401);
      assert.equal(((await api.json()) as { error: string }).error, 'login_required');
      assert.equal(await refreshTokenWorks(stack, held[i]?.refreshToken ?? ''), false, 'revoked at the provider');
    }
    const page = await first.get(`${stack.appUrl}/profile`);
    assert.equal(page.status, 401);
    const html = await first.text(page);
    assert.match(html, /signed out at your identity provider/);
    assert.match(html, /Logout token received from your identity provider/);
    assert.ok(html.includes(stack.issuer), 'names who sent it');

    assert.equal((await apiCall(bob, stack, '/appointments')).status, 200, "another user's login stays");
  });

  it('a logout token replayed to another instance is refused: the jti is remembered in Redis', async () => {
    const browser = new Browser();
    await logIn(stack, browser, BOB);
    const token = await providerLogoutToken(stack, await loginNamesOf(browser, stack));
    const post = (url: string) =>
      fetch(`${url}/backchannel-logout`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
      });
    assert.equal((await post(instanceB.url)).status, 200);
    assert.equal(await tokensOf(browser, stack), undefined);
    // Signed in again (single sign-on: the same sid), then the same token is sent to a third instance.
    await logIn(stack, browser, BOB);
    const instanceC = await stack.addInstance();
    assert.equal((await post(instanceC.url)).status, 400);
    assert.ok(await tokensOf(browser, stack), 'the new login lives on');
  });
});

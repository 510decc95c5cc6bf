/**
 * The profile's "Sessions" section against the real embedded provider, with
 * the memory store and with a real Redis: a user's logins are listed (browser
 * family, current one marked), one of them or all of them can be signed out
 * (tokens deleted, refresh tokens revoked at the provider, that browser told
 * on its next page), and nobody can end another user's login.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginHandle } from '../../../src/tokens/user-logins.js';
import { ALICE, apiCall, BOB, logIn, refreshTokenWorks, sessionIdOf, tokensOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { parseForm, parseForms } from '../../helpers/html-forms.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

async function loggedIn(stack: Stack, account = ALICE, userAgent = FIREFOX): Promise<Browser> {
  const browser = new Browser({ userAgent });
  await logIn(stack, browser, account);
  assert.ok(await tokensOf(browser, stack));
  return browser;
}

async function profile(stack: Stack, browser: Browser): Promise<string> {
  const page = await browser.get(`${stack.appUrl}/profile`);
  assert.equal(page.status, 200);
  return browser.text(page);
}

/** The Sessions list's forms as the page renders them: one per other login, then "sign out of all devices". */
async function sessionForms(stack: Stack, browser: Browser) {
  const forms = parseForms(await profile(stack, browser));
  return {
    endOne: forms.filter((form) => form.action === '/sessions/end'),
    endAll: parseForm(await profile(stack, browser), (form) => form.action === '/sessions/end-all'),
  };
}

function post(stack: Stack, browser: Browser, path: string, fields: Record<string, string>): Promise<Response> {
  return browser.post(`${stack.appUrl}${path}`, fields, { headers: { Origin: stack.appUrl } });
}

async function assertEnded(stack: Stack, browser: Browser, refreshToken: string | undefined): Promise<void> {
  assert.equal(await tokensOf(browser, stack), undefined, 'its tokens are gone');
  const api = await apiCall(browser, stack, '/appointments');
  assert.equal(api.status, 401);
  assert.equal(((await api.json()) as { error: string }).error, 'login_required');
  assert.equal(await refreshTokenWorks(stack, refreshToken ?? ''), false, 'its refresh token is revoked');
}

function sessionsSuite(name: string, env: () => Record<string, string>): void {
  describe(`Sessions on the profile page (${name})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack(env());
    });
    after(() => stack.close());

    it("lists the user's logins with their browsers, this one marked, and nobody else's", async () => {
      const phone = await loggedIn(stack, ALICE, SAFARI);
      const laptop = await loggedIn(stack, ALICE, FIREFOX);
      await loggedIn(stack, BOB, FIREFOX);
      const html = await profile(stack, laptop);
      assert.match(html, /Firefox \(Windows\) <span class="badge badge-ok">this browser<\/span>/);
      assert.match(html, /Safari \(iOS\)/);
      const { endOne } = await sessionForms(stack, laptop);
      const handles = endOne.map((form) => form.fields['login']);
      assert.ok(handles.includes(loginHandle(sessionIdOf(phone, stack) ?? '')), "the phone's login has a form");
      assert.ok(!handles.includes(loginHandle(sessionIdOf(laptop, stack) ?? '')), 'this browser leaves by Log out');
      assert.doesNotMatch(html, new RegExp(sessionIdOf(phone, stack) ?? 'x'), 'never a session id on the page');
      for (const form of endOne) assert.ok(form.fields['csrf'], 'every form carries the form token');
    });

    it('signs out one other session: its tokens deleted, its refresh token revoked, its browser told', async () => {
      const phone = await loggedIn(stack, ALICE, SAFARI);
      const laptop = await loggedIn(stack, ALICE, FIREFOX);
      const phoneTokens = await tokensOf(phone, stack);
      const form = (await sessionForms(stack, laptop)).endOne.find(
        (candidate) => candidate.fields['login'] === loginHandle(sessionIdOf(phone, stack) ?? ''),
      );
      assert.ok(form);
      const res = await post(stack, laptop, '/sessions/end', form.fields);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/profile#sessions');

      await assertEnded(stack, phone, phoneTokens?.refreshToken);
      const page = await phone.get(`${stack.appUrl}/profile`);
      assert.equal(page.status, 401);
      const html = await phone.text(page);
      assert.match(html, /signed out of this app from another device/);
      assert.match(html, /Firefox \(Windows\)/, 'says from which device');
      assert.match(html, /revoked at the provider \(RFC 7009\)/);
      assert.equal((await phone.get(`${stack.appUrl}/profile`)).status, 303, 'then simply a login like any other');

      assert.ok(await tokensOf(laptop, stack), 'the asking session goes on');
      assert.equal((await apiCall(laptop, stack, '/appointments')).status, 200);
      const listed = (await sessionForms(stack, laptop)).endOne.map((candidate) => candidate.fields['login']);
      assert.ok(!listed.includes(form.fields['login']), 'and no longer lists it');
    });

    it("refuses to end another user's session, by its handle or by its session id", async () => {
      const alice = await loggedIn(stack, ALICE);
      const bob = await loggedIn(stack, BOB);
      const { endAll } = await sessionForms(stack, bob);
      const aliceId = sessionIdOf(alice, stack) ?? '';
      for (const login of [loginHandle(aliceId), aliceId]) {
        const res = await post(stack, bob, '/sessions/end', { csrf: endAll.fields['csrf'] ?? '', login });
        assert.equal(res.status, 404);
        assert.match(await bob.text(res), /not one of yours/);
      }
      assert.ok(await tokensOf(alice, stack), "Alice's login is untouched");
      assert.equal((await apiCall(alice, stack, '/appointments')).status, 200);
      assert.equal((await profile(stack, alice)).includes('signed out'), false);
    });

    it('refuses a form without its token (CSRF) and ends nothing', async () => {
      const phone = await loggedIn(stack, ALICE, SAFARI);
      const laptop = await loggedIn(stack, ALICE, FIREFOX);
      const res = await post(stack, laptop, '/sessions/end-all', { csrf: 'forged' });
      assert.equal(res.status, 403);
      const crossSite = await laptop.post(
        `${stack.appUrl}/sessions/end`,
        {
          csrf: (await sessionForms(stack, laptop)).endAll.fields['csrf'] ?? '',
          login: loginHandle(sessionIdOf(phone, stack) ?? ''),
        },
        { headers: { 'Sec-Fetch-Site': 'cross-site' } },
      );
      assert.equal(crossSite.status, 403);
      assert.ok(await tokensOf(phone, stack));
      assert.ok(await tokensOf(laptop, stack));
    });

    it("signs out of all devices: every login of the user ends, this browser leaves like Log out, others' stay", async () => {
      const phone = await loggedIn(stack, ALICE, SAFARI);
      const laptop = await loggedIn(stack, ALICE, FIREFOX);
      const bob = await loggedIn(stack, BOB);
      const held = [await tokensOf(phone, stack), await tokensOf(laptop, stack)];
      const { endAll } = await sessionForms(stack, laptop);
      const res = await post(stack, laptop, '/sessions/end-all', endAll.fields);
      assert.equal(res.status, 303);
      // RP-initiated logout, the way POST /logout leaves.
      assert.ok(res.headers.get('location')?.startsWith(stack.issuer), 'on to the provider’s logout');

      await assertEnded(stack, phone, held[0]?.refreshToken);
      await assertEnded(stack, laptop, held[1]?.refreshToken);
      assert.match(await phone.text(await phone.get(`${stack.appUrl}/`)), /from another device/);
      assert.equal((await laptop.get(`${stack.appUrl}/profile`)).status, 303, 'this browser is simply logged out');
      assert.deepEqual(await stack.services.logins.listForUser(ALICE.sub), []);
      assert.equal((await apiCall(bob, stack, '/appointments')).status, 200, "another user's login stays");
    });
  });
}

sessionsSuite('memory', () => ({}));

describe('with Redis', () => {
  let redis: RedisServer;
  let url = '';
  before(async () => {
    redis = await startRedisServer();
    url = redis.url;
  });
  after(() => redis.dispose());
  sessionsSuite('redis', () => ({ REDIS_URL: url }));
});

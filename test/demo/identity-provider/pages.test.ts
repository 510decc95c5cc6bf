/** The demo provider's login, consent, logout and error pages, driven like a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as client from 'openid-client';

import { DEMO_ACCOUNTS } from '../../../src/demo/demo-accounts.js';
import { Browser } from '../../helpers/browser.js';
import { confirmLogoutAtProvider, errorMessageOf, loginAtProvider, parseForm } from '../../helpers/provider-login.js';
import {
  ALICE,
  API_AUDIENCE,
  APP_BASE_URL,
  BOB,
  USER_SCOPES,
  WEB,
  authorizationUrl,
  signIn,
  startStack,
} from '../../helpers/demo-provider-kit.js';

describe('demo identity provider: pages', () => {
  it('renders an accessible login page that lists the demo accounts', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    assert.equal(response.status, 200);
    assert.match(urls.at(-1) ?? '', /\/interaction\/[\w-]+$/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(
      response.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action 'self' ${APP_BASE_URL}`),
    );
    const html = await browser.text(response);

    assert.match(html, /<html lang="en">/);
    assert.match(html, /<title>[^<]+<\/title>/);
    assert.match(html, /<meta name="viewport"/);
    assert.match(html, /<main\b/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/styles.css">/);
    assert.match(
      html,
      /<div class="demo-banner" role="note">Demo identity provider — for local development only\. Never use these accounts or this server in production\.<\/div>/,
    );
    assert.match(html, /<label for="login">/);
    assert.match(html, /<label for="password">/);
    assert.match(html, /<button type="submit" class="btn btn-primary">Sign in<\/button>/);
    assert.doesNotMatch(html, /<script/);
    for (const account of DEMO_ACCOUNTS) {
      for (const value of [account.name, account.email, account.login, account.password]) {
        assert.ok(html.includes(value), `login page lists ${value}`);
      }
    }
    const form = parseForm(html, (candidate) => 'login' in candidate.fields);
    assert.equal(form.method, 'post');
    assert.deepEqual(Object.keys(form.fields).sort(), ['login', 'password']);
  });

  it('shows "Wrong username or password." for a wrong password or an unknown login', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const pageUrl = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const action = new URL(form.action, pageUrl);

    for (const credentials of [
      { login: ALICE.login, password: 'not-her-password' },
      { login: 'mallory', password: ALICE.password },
    ]) {
      const failed = await browser.post(action, credentials);
      assert.equal(failed.status, 401);
      const html = await browser.text(failed);
      assert.match(html, /<p class="error-message" role="alert">Wrong username or password\.<\/p>/);
      assert.equal(errorMessageOf(html), 'Wrong username or password.');
      // The login is kept (escaped) so the user only retypes the password.
      assert.equal(parseForm(html, (candidate) => 'login' in candidate.fields).fields['login'], credentials.login);
    }
    assert.equal(stack.idp.stats.failedLogins, 2);

    // The interaction survives failed attempts.
    const ok = await browser.post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(ok.status, 303);

    await assert.rejects(
      loginAtProvider(new Browser(), (await authorizationUrl(stack)).url, { login: 'alice', password: 'nope' }),
      /Wrong username or password\./,
    );
  });

  it('shows the client, the scopes and the API on the consent page', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const loginPage = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const posted = await browser.post(new URL(form.action, loginPage), { login: BOB.login, password: BOB.password });
    const consent = await browser.followRedirects(posted, new URL(form.action, loginPage));
    assert.equal(consent.response.status, 200);
    const html = await browser.text(consent.response);
    assert.ok(html.includes(WEB.clientId), 'client name (defaults to the id)');
    assert.ok(html.includes(API_AUDIENCE));
    for (const scope of [...USER_SCOPES, 'profile', 'email', 'offline_access']) {
      assert.ok(html.includes(scope), `consent lists ${scope}`);
    }
    assert.ok(!html.includes('read:reports'), 'an M2M scope is not offered to a user');
    assert.ok(html.includes(BOB.name));
    assert.match(html, /<button type="submit" name="decision" value="allow" class="btn btn-primary">Allow<\/button>/);
    assert.match(html, /<button type="submit" name="decision" value="deny" class="btn btn-secondary">Deny<\/button>/);
  });

  it('refuses a cross-origin form post and survives malformed or oversized forms', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser();
    const start = await authorizationUrl(stack);
    const { response, urls } = await browser.follow(start.url);
    const pageUrl = urls.at(-1) ?? '';
    const form = parseForm(await browser.text(response), (candidate) => 'login' in candidate.fields);
    const action = new URL(form.action, pageUrl);

    const crossSite = await browser.post(
      action,
      { login: ALICE.login, password: ALICE.password },
      {
        headers: { origin: 'https://evil.example' },
      },
    );
    assert.equal(crossSite.status, 403);
    assert.match(await browser.text(crossSite), /class="error-message"/);

    const oversized = await browser.post(action, { login: 'x'.repeat(20_000), password: 'y' });
    assert.equal(oversized.status, 413);
    await browser.text(oversized);

    const wrongType = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=%E0%A4%A&password',
    });
    assert.equal(wrongType.status, 401);
    await browser.text(wrongType);

    // No interaction cookie (another browser): refused, not crashed.
    const stranger = await new Browser().post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(stranger.status, 400);

    // The provider still works.
    const ok = await browser.post(action, { login: ALICE.login, password: ALICE.password });
    assert.equal(ok.status, 303);
  });

  it('serves the app stylesheet at /static/styles.css', async (t) => {
    const stack = await startStack(t);
    const response = await fetch(`${stack.issuer}/static/styles.css`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/css/);
    assert.equal(await response.text(), '.card { padding: 1rem; }\n');
  });

  it('renders provider errors with the same layout', async (t) => {
    const stack = await startStack(t);
    const response = await fetch(`${stack.issuer}/auth?client_id=nobody&response_type=code`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /<div class="demo-banner" role="note">/);
    assert.match(html, /<p class="error-message" role="alert">/);
    assert.match(html, /invalid_client/);
  });

  it('confirms RP-initiated logout with its own page and returns to the app', async (t) => {
    const stack = await startStack(t);
    const { browser, tokens } = await signIn(stack, ALICE);
    const endSession = client.buildEndSessionUrl(stack.web, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${APP_BASE_URL}/`,
      state: 'bye',
    });

    const page = await browser.follow(endSession);
    assert.equal(page.response.status, 200);
    const html = await browser.text(page.response);
    assert.match(html, /<div class="demo-banner" role="note">/);
    assert.match(
      html,
      /<button type="submit" form="op.logoutForm" name="logout" value="yes" class="btn btn-danger" autofocus>Yes, sign me out<\/button>/,
    );
    const form = parseForm(html, (candidate) => candidate.buttons.some((button) => button.name === 'logout'));
    assert.ok(form.fields['xsrf'], 'oidc-provider xsrf field kept');

    const result = await confirmLogoutAtProvider(browser, endSession, { stopAt: (url) => url.origin === APP_BASE_URL });
    assert.ok(result.stoppedAt);
    const back = new URL(result.stoppedAt);
    assert.equal(`${back.origin}${back.pathname}`, `${APP_BASE_URL}/`);
    assert.equal(back.searchParams.get('state'), 'bye');

    // The provider session is gone: a new authorization request asks for the password again.
    const again = await browser.follow((await authorizationUrl(stack)).url);
    assert.match(await browser.text(again.response), /name="password"/);
  });

  it('shows the signed-out page when no post_logout_redirect_uri is given', async (t) => {
    const stack = await startStack(t);
    const { browser } = await signIn(stack, BOB);
    const result = await confirmLogoutAtProvider(browser, `${stack.issuer}/session/end`);
    assert.equal(result.response.status, 200);
    const html = await browser.text(result.response);
    assert.match(html, /You are signed out/);
    assert.match(html, /<div class="demo-banner" role="note">/);
  });
});

/**
 * Choosing the language: `Accept-Language` (ja or en, English by default),
 * overridden by the `lang` cookie that the header's switch sets; `<html lang>`
 * follows. The switch goes back to the page it was on (a same-origin relative
 * path only), works before and after login and refuses cross-site posts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'node-html-parser';
import { chooseLanguage } from '../../../src/i18n/languages.js';
import { logIn, tokensOf } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { parseForm } from '../../helpers/html-forms.js';
import { startStack, type Stack } from '../../helpers/stack.js';
import type { IncomingMessage } from 'node:http';

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as IncomingMessage;
}

/** What the page says about its language: `<html lang>` and the first navigation link. */
async function pageLanguage(browser: Browser, url: string, headers: Record<string, string> = {}) {
  const response = await browser.request(url, { headers });
  assert.equal(response.status, 200, url);
  const root = parse(await browser.text(response));
  return { lang: root.querySelector('html')?.getAttribute('lang'), home: root.querySelector('nav a')?.text.trim() };
}

/** Posts the header's switch as the page renders it (same-origin, as a browser sends it). */
async function switchLanguage(stack: Stack, browser: Browser, pagePath: string, lang: string): Promise<Response> {
  const html = await browser.text(await browser.get(`${stack.appUrl}${pagePath}`));
  const form = parseForm(html, (candidate) => candidate.action === '/language');
  assert.ok(
    form.buttons.some((button) => button.value === lang),
    `the switch offers ${lang}`,
  );
  return browser.post(
    `${stack.appUrl}/language`,
    { ...form.fields, lang },
    { headers: { 'Sec-Fetch-Site': 'same-origin' } },
  );
}

describe('language negotiation', () => {
  it('chooses by Accept-Language quality, English by default, the cookie first', () => {
    assert.equal(chooseLanguage(request({})), 'en');
    assert.equal(chooseLanguage(request({ 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.8' })), 'ja');
    assert.equal(chooseLanguage(request({ 'accept-language': 'ja' })), 'ja');
    assert.equal(chooseLanguage(request({ 'accept-language': 'en-US,en;q=0.9,ja;q=0.5' })), 'en');
    assert.equal(chooseLanguage(request({ 'accept-language': 'fr-FR,de;q=0.9' })), 'en');
    assert.equal(chooseLanguage(request({ 'accept-language': 'fr, ja;q=0.3' })), 'ja');
    assert.equal(chooseLanguage(request({ 'accept-language': 'ja', cookie: 'lang=en' })), 'en');
    assert.equal(chooseLanguage(request({ 'accept-language': 'en', cookie: 'sid=x; lang=ja' })), 'ja');
    // A value the app does not speak is ignored, not trusted.
    assert.equal(chooseLanguage(request({ 'accept-language': 'ja', cookie: 'lang=xx' })), 'ja');
    assert.equal(chooseLanguage(request({ 'accept-language': '%%%;q=x' })), 'en');
  });
});

describe('the language switch', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers in the Accept-Language of the browser, with <html lang> to match', async () => {
    const browser = new Browser();
    assert.deepEqual(await pageLanguage(browser, `${stack.appUrl}/`), { lang: 'en', home: 'Home' });
    assert.deepEqual(await pageLanguage(browser, `${stack.appUrl}/`, { 'Accept-Language': 'ja-JP,ja;q=0.9' }), {
      lang: 'ja',
      home: 'ホーム',
    });
    const response = await browser.get(`${stack.appUrl}/`);
    assert.match(response.headers.get('vary') ?? '', /Accept-Language/i);
  });

  it('keeps the current page and works before login, over the browser’s Accept-Language', async () => {
    const browser = new Browser();
    const response = await switchLanguage(stack, browser, '/nowhere?x=1', 'ja');
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/nowhere');
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^lang=ja;/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.equal(browser.cookie(stack.appUrl, stack.config.session.cookieName), undefined, 'no session was made');
    assert.deepEqual(await pageLanguage(browser, `${stack.appUrl}/`, { 'Accept-Language': 'en' }), {
      lang: 'ja',
      home: 'ホーム',
    });
    const back = await switchLanguage(stack, browser, '/', 'en');
    assert.equal(back.headers.get('location'), '/');
    assert.equal((await pageLanguage(browser, `${stack.appUrl}/`, { 'Accept-Language': 'ja' })).lang, 'en');
  });

  it('keeps the current page, query included, after login, and keeps the login', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const response = await switchLanguage(stack, browser, '/profile?tab=sessions', 'ja');
    assert.equal(response.headers.get('location'), '/profile?tab=sessions');
    assert.deepEqual(await pageLanguage(browser, `${stack.appUrl}/profile`), { lang: 'ja', home: 'ホーム' });
    assert.ok(await tokensOf(browser, stack), 'still logged in');
  });

  it('goes back only to a same-origin relative path (the login’s return-to rule)', async () => {
    const browser = new Browser();
    for (const returnTo of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/%2F%2Fevil.example']) {
      const response = await browser.post(
        `${stack.appUrl}/language`,
        { lang: 'ja', returnTo },
        { headers: { 'Sec-Fetch-Site': 'same-origin' } },
      );
      assert.equal(response.status, 303, returnTo);
      assert.equal(response.headers.get('location'), '/', returnTo);
    }
  });

  it('refuses a cross-site post and a language it does not speak', async () => {
    const browser = new Browser();
    const crossSite = await browser.post(
      `${stack.appUrl}/language`,
      { lang: 'ja', returnTo: '/' },
      { headers: { 'Sec-Fetch-Site': 'cross-site' } },
    );
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.headers.get('set-cookie'), null);
    const otherOrigin = await browser.post(
      `${stack.appUrl}/language`,
      { lang: 'ja', returnTo: '/' },
      { headers: { Origin: 'https://evil.example' } },
    );
    assert.equal(otherOrigin.status, 403);
    const unknown = await browser.post(
      `${stack.appUrl}/language`,
      { lang: 'xx', returnTo: '/' },
      { headers: { 'Sec-Fetch-Site': 'same-origin' } },
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get('set-cookie'), null);
  });
});

/**
 * The provider's pages speak the language the visitor chose in the app. The app's language
 * cookie never reaches the provider (another origin), so the app sends `ui_locales` with the
 * authorization request (OIDC Core §3.1.2.1) and with the end-session request (RP-Initiated
 * Logout 1.0 §2); the embedded provider reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LANGUAGE_COOKIE } from '../../../src/i18n/languages.js';
import { ALICE, logIn, logoutFormToken } from '../../helpers/app-login.js';
import { Browser } from '../../helpers/browser.js';
import { parseForm } from '../../helpers/html-forms.js';
import { withStack } from '../../helpers/stack.js';

/** The `<html lang>` and first heading of the page `url` redirects to, at the provider. */
async function providerPage(browser: Browser, response: Response, from: string) {
  const { response: page } = await browser.followRedirects(response, from);
  const html = await browser.text(page);
  return { lang: /<html lang="(\w+)">/.exec(html)?.[1], heading: /<h1[^>]*>([^<]+)<\/h1>/.exec(html)?.[1], html };
}

describe("the provider's pages follow the app's language", () => {
  for (const par of ['auto', 'off']) {
    it(`sends ui_locales with the login (OIDC_PAR=${par}), so a browser set to English signs in in Japanese`, async () => {
      await withStack({ OIDC_PAR: par }, async (stack) => {
        const browser = new Browser({ acceptLanguage: 'en-US,en;q=0.9' });
        browser.setCookie(stack.appUrl, `${LANGUAGE_COOKIE}=ja; Path=/`);
        const login = await browser.get(`${stack.appUrl}/login`);
        assert.equal(login.status, 303);
        const location = new URL(login.headers.get('location') ?? '');
        // With PAR the parameters were pushed; without it they are in the URL.
        assert.equal(location.searchParams.get('ui_locales'), par === 'off' ? 'ja' : null);
        const page = await providerPage(browser, login, `${stack.appUrl}/login`);
        assert.equal(page.lang, 'ja');
        assert.equal(page.heading, 'ログイン');

        // The same browser in English: the provider answers in English.
        const english = new Browser({ acceptLanguage: 'ja' });
        english.setCookie(stack.appUrl, `${LANGUAGE_COOKIE}=en; Path=/`);
        const englishLogin = await english.get(`${stack.appUrl}/login`);
        const englishPage = await providerPage(english, englishLogin, `${stack.appUrl}/login`);
        assert.equal(englishPage.lang, 'en');
        assert.equal(englishPage.heading, 'Sign in');
      });
    });
  }

  it('sends ui_locales with the logout, so the provider asks in Japanese', async () => {
    await withStack({}, async (stack) => {
      const browser = new Browser({ acceptLanguage: 'en' });
      browser.setCookie(stack.appUrl, `${LANGUAGE_COOKIE}=ja; Path=/`);
      await logIn(stack, browser, ALICE);
      const csrf = await logoutFormToken(browser, stack);
      const logout = await browser.post(`${stack.appUrl}/logout`, { csrf }, { headers: { origin: stack.appUrl } });
      assert.equal(logout.status, 303);
      const endSession = new URL(logout.headers.get('location') ?? '');
      assert.equal(endSession.searchParams.get('ui_locales'), 'ja');
      const page = await providerPage(browser, logout, `${stack.appUrl}/logout`);
      assert.equal(page.lang, 'ja');
      assert.equal(page.heading, 'ログアウトしますか？');
      assert.ok(parseForm(page.html, (form) => form.id === 'op.logoutForm'));
    });
  });

  it('refuses ui_locales in OIDC_AUTHORIZATION_PARAMS: the app sets it', async () => {
    const { parseAuthorizationParams } = await import('../../../src/config/authorization-params.js');
    assert.equal(
      parseAuthorizationParams('ui_locales=fr', {}),
      '"ui_locales" is set by the app or by its own variable',
    );
  });
});

/**
 * The whole journey once in Japanese, in Debian's Chromium set to Japanese (`Accept-Language:
 * ja-JP`): the app's pages, the provider's login, consent and logout pages (chosen by the
 * `ui_locales` the app sends), the scripts' messages. Every page is in Japanese with no
 * sentence of the English catalogues left and no missing key, and axe finds no serious or
 * critical issue. Then the header's language switch: it keeps the page, before and after login.
 *
 * Screenshots go to artifacts/e2e/ja-*.png; with UPDATE_SCREENSHOTS=1 also to docs/screenshots/ja/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ALICE } from '../helpers/app-login.js';
import { assertInLanguage, englishSentences } from '../helpers/page-language.js';
import { withStack, type Stack } from '../helpers/stack.js';
import {
  checkAccessibility,
  currentStep,
  mainText,
  openPage,
  sleep,
  snap,
  submitProviderLogin,
  waitForOrigin,
  waitForText,
  waitUntil,
  withChromium,
} from './helpers.js';

const TEST_TIMEOUT = 150_000;
const ENGLISH = englishSentences();

/** The page is Japanese, has no English catalogue sentence and no missing key, and passes axe; then a screenshot. */
async function checkJapanesePage(page: Page, name: string): Promise<void> {
  assertInLanguage(await page.content(), 'ja', ENGLISH, name);
  await checkAccessibility(page, `${name} (ja)`);
  await snap(page, `ja-${name}`, { docs: `ja/${name}.png` });
}

/** Follows a link of the main navigation by its address (its label is the catalogue's business). */
async function navigate(page: Page, path: string): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.pathname === path, { waitUntil: 'load' }),
    page.locator(`header nav a[href="${path}"]`).click(),
  ]);
}

/** Presses a console button (by its method and path) and waits for the status the script shows. */
async function callFromConsole(page: Page, method: string, path: string, status: number): Promise<void> {
  const button = page.locator(`#calls button[data-method="${method}"][data-path="${path}"]`);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === method),
    button.click(),
  ]);
  await waitForText(page.locator('#call-status'), new RegExp(`^${status}\\b`));
}

function issuerOrigin(stack: Stack): string {
  return new URL(stack.issuer).origin;
}

test('the whole journey in Japanese: app, provider and scripts, accessible', { timeout: TEST_TIMEOUT }, async () => {
  await withStack({ DEMO_ACCESS_TOKEN_TTL: '4' }, async (stack) => {
    await withChromium(async (browser) => {
      const { page, problems } = await openPage(browser, undefined, 'ja-JP');

      await page.goto(`${stack.appUrl}/`);
      await checkJapanesePage(page, 'home');

      // Log in: the provider's pages in Japanese (the app sends ui_locales=ja).
      await Promise.all([waitForOrigin(page, issuerOrigin(stack)), page.locator('header a[href="/login"]').click()]);
      assert.equal(await currentStep(page, stack), 'provider-login');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'ログイン');
      await checkJapanesePage(page, 'provider-login');
      await submitProviderLogin(page, ALICE);
      assert.equal(await currentStep(page, stack), 'provider-consent');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'アクセスを許可しますか？');
      await checkJapanesePage(page, 'provider-consent');
      await Promise.all([
        waitForOrigin(page, stack.appUrl),
        page.getByRole('button', { name: '許可する', exact: true }).click(),
      ]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      await checkJapanesePage(page, 'home-logged-in');

      await navigate(page, '/profile');
      assert.match(await mainText(page), new RegExp(ALICE.email));
      await checkJapanesePage(page, 'profile');

      // The console: the script's messages come from the Japanese catalogue too.
      await navigate(page, '/console');
      await waitForText(page.locator('#token-version'), /^\d+$/);
      await waitForText(page.locator('#token-expiry'), /^(\d+秒|期限切れ)/);
      await callFromConsole(page, 'GET', '/api/appointments', 200);
      const refreshes = page.locator('#refreshes li:not(.muted)');
      await sleep(4_500);
      await callFromConsole(page, 'GET', '/api/appointments', 200);
      await waitUntil(async () => (await refreshes.count()) > 0, 'the refresh history lists the refresh');
      assert.match(
        (await refreshes.first().textContent()) ?? '',
        /アクセストークンの期限切れが近づいたため、リフレッシュしました。/,
      );
      await checkJapanesePage(page, 'console');

      await navigate(page, '/flow');
      await checkJapanesePage(page, 'flow');

      await navigate(page, '/tokens');
      await waitForText(page.locator('[data-countdown]').first(), /^(\d+秒|期限切れ)/);
      await checkJapanesePage(page, 'tokens');

      await navigate(page, '/m2m');
      const m2mForm = page.locator('form.m2m-call-form').first();
      await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/m2m/call'),
        m2mForm.locator('button[type=submit]').click(),
      ]);
      await waitForText(page.locator('#m2m-status'), /^HTTP 200$/);
      await waitForText(page.locator('#m2m-entries td').first(), /^(オーディエンス|リソース)：/);
      await checkJapanesePage(page, 'm2m');

      // Log out: the provider asks in Japanese (ui_locales on the end-session request).
      await Promise.all([
        waitForOrigin(page, issuerOrigin(stack)),
        page.locator('header form[action="/logout"] button[type=submit]').click(),
      ]);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'ログアウトしますか？');
      await checkJapanesePage(page, 'provider-logout');
      await Promise.all([
        waitForOrigin(page, stack.appUrl),
        page.getByRole('button', { name: 'はい、ログアウトします', exact: true }).click(),
      ]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      assert.equal(
        await page.evaluate(async () => (await fetch('/api/appointments', { headers: { 'X-CSRF': '1' } })).status),
        401,
      );
      assert.deepEqual(problems, [], 'no CSP violation or script error on any page');
    });
  });
});

/** Presses the header's switch to `language` and waits for the page to come back. */
async function switchLanguage(page: Page, language: 'en' | 'ja'): Promise<void> {
  const before = new URL(page.url());
  await Promise.all([
    page.waitForURL((url) => url.pathname === before.pathname && url.search === before.search, { waitUntil: 'load' }),
    page.locator(`form.language-switch button[value="${language}"]`).click(),
  ]);
  assert.equal(await page.locator('html').getAttribute('lang'), language);
}

test('the language switch keeps the page, before and after login', { timeout: TEST_TIMEOUT }, async () => {
  await withStack({}, async (stack) => {
    await withChromium(async (browser) => {
      // An English browser that chooses Japanese.
      const { page, problems } = await openPage(browser, undefined, 'en-US');
      await page.goto(`${stack.appUrl}/`);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await switchLanguage(page, 'ja');
      assert.equal(new URL(page.url()).pathname, '/');
      await checkAccessibility(page, 'home after the switch (ja)');

      // The choice reaches the provider through ui_locales, and the way back keeps it.
      await Promise.all([waitForOrigin(page, issuerOrigin(stack)), page.locator('header a[href="/login"]').click()]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
      await submitProviderLogin(page, ALICE);
      await Promise.all([
        waitForOrigin(page, stack.appUrl),
        page.locator('button[name=decision][value=allow]').click(),
      ]);
      assert.equal(await page.locator('html').getAttribute('lang'), 'ja');

      // Logged in, on a page with a query: back to the same page, in the other language, still logged in.
      await page.goto(`${stack.appUrl}/console`);
      await switchLanguage(page, 'en');
      assert.equal(new URL(page.url()).pathname, '/console');
      assert.equal(await page.locator('header form[action="/logout"]').count(), 1, 'still logged in');
      await waitForText(page.locator('#token-expiry'), /^(\d+ s|expired)/);
      await switchLanguage(page, 'ja');
      assert.equal(new URL(page.url()).pathname, '/console');
      await waitForText(page.locator('#token-expiry'), /^(\d+秒|期限切れ)/);
      assertInLanguage(await page.content(), 'ja', ENGLISH, 'console after the switch');
      assert.deepEqual(problems, []);
    });
  });
});

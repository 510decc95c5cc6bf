/**
 * "Sign out of all devices" in a real browser: Debian's Chromium (playwright-core), two browser
 * contexts (two cookie jars: two devices) signed in as the same user against the whole demo stack.
 * The device that presses the button leaves the way "Log out" does (through the provider's logout
 * page: the CSP's form-action must allow it); the other device's next API call is refused and its
 * next page says it was signed out from another device.
 *
 * Run: `npm run test:e2e`. Screenshots go to artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ALICE } from '../helpers/app-login.js';
import { withStack } from '../helpers/stack.js';
import {
  checkAccessibility,
  logInThroughBrowser,
  mainText,
  openPage,
  snap,
  waitForOrigin,
  withChromium,
} from './helpers.js';

const TEST_TIMEOUT = 120_000;

/** `GET /api/appointments` from the page's own origin, as the console's script sends it. */
async function apiFromPage(page: Page): Promise<{ status: number; error: string | undefined }> {
  return page.evaluate(async () => {
    const res = await fetch('/api/appointments', { headers: { 'X-CSRF': '1' } });
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    return { status: res.status, error: body.error };
  });
}

test(
  'sign out of all devices: the other device is refused by the API and told on its next page',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({}, async (stack) => {
      await withChromium(async (browser) => {
        const laptop = await openPage(browser);
        const phone = await openPage(browser);
        await logInThroughBrowser(laptop.page, stack, ALICE);
        await logInThroughBrowser(phone.page, stack, ALICE);
        assert.deepEqual(await apiFromPage(phone.page), { status: 200, error: undefined });

        // The laptop's profile lists both devices, itself marked.
        await laptop.page.goto(`${stack.appUrl}/profile`);
        const rows = laptop.page.locator('table.sessions tbody tr');
        assert.equal(await rows.count(), 2);
        assert.equal(await laptop.page.locator('table.sessions tr[aria-current="true"]').count(), 1);
        assert.match((await rows.first().textContent()) ?? '', /Chrome \(Linux\)\s*this browser/);
        await checkAccessibility(laptop.page, 'profile with two sessions');
        await snap(laptop.page, 'profile-sessions');

        // Sign out of all devices: on to the provider's logout, confirmed there, back home signed out.
        await Promise.all([
          waitForOrigin(laptop.page, new URL(stack.issuer).origin),
          laptop.page.getByRole('button', { name: 'Sign out of all devices', exact: true }).click(),
        ]);
        await Promise.all([
          waitForOrigin(laptop.page, stack.appUrl),
          laptop.page.getByRole('button', { name: 'Yes, sign me out', exact: true }).click(),
        ]);
        assert.equal(await laptop.page.locator('header.site-header').getByRole('link', { name: 'Log in' }).count(), 1);

        // The phone: the API refuses it at once; its next page says what happened, and how.
        assert.deepEqual(await apiFromPage(phone.page), { status: 401, error: 'login_required' });
        const next = await phone.page.goto(`${stack.appUrl}/console`);
        assert.equal(next?.status(), 401);
        const text = await mainText(phone.page);
        assert.match(text, /You were signed out/);
        assert.match(text, /signed out of this app from another device/);
        assert.match(text, /Signed out from another device/, 'the flow inspector step');
        assert.match(text, /ended from\s*Chrome \(Linux\)/);
        assert.match(text, /revoked at the provider \(RFC 7009\)/);
        assert.equal(await phone.page.locator('header.site-header').getByRole('link', { name: 'Log in' }).count(), 1);
        await checkAccessibility(phone.page, 'signed out from another device');
        await snap(phone.page, 'signed-out-elsewhere');

        // Then simply logged out: a page that needs a login sends it to log in.
        await phone.page.goto(`${stack.appUrl}/profile`);
        await waitForOrigin(phone.page, new URL(stack.issuer).origin);

        assert.deepEqual([...laptop.problems, ...phone.problems], [], 'no CSP violation or script error');
      });
    });
  },
);

/**
 * Two provider dialects in a real browser (Debian's Chromium through playwright-core), once each:
 * Logto (resource at the token endpoint, prompt=consent, ES384 ID tokens, /oidc issuer) and an
 * Auth0 organization invitation (the link Auth0 sends to the Application Login URI, org_id and
 * org_name checked, logout through /v2/logout). The same journeys run for every profile without a
 * browser in test/providers/provider-matrix.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ALICE } from '../helpers/app-login.js';
import { withStack, type Stack } from '../helpers/stack.js';
import { finishAtProvider, mainText, openPage, sleep, snap, waitForOrigin, withChromium } from './helpers.js';

const TEST_TIMEOUT = 120_000;

/** `GET /api/me` from the page, as the console's script calls the API. */
async function apiFromPage(page: Page): Promise<{ status: number; body: { aud?: unknown; scope?: string } }> {
  return page.evaluate(async () => {
    const res = await fetch('/api/me', { headers: { 'X-CSRF': '1', Accept: 'application/json' } });
    return { status: res.status, body: (await res.json()) as { aud?: unknown; scope?: string } };
  });
}

async function logOutAtProvider(page: Page, stack: Stack, expectedPath: RegExp): Promise<void> {
  const issuerOrigin = new URL(stack.issuer).origin;
  await Promise.all([
    waitForOrigin(page, issuerOrigin),
    page.locator('header.site-header').getByRole('button', { name: 'Log out', exact: true }).click(),
  ]);
  assert.match(new URL(page.url()).pathname, expectedPath);
  await Promise.all([
    waitForOrigin(page, stack.appUrl),
    page.getByRole('button', { name: 'Yes, sign me out', exact: true }).click(),
  ]);
  await page.waitForURL((url) => url.origin === stack.appUrl && url.pathname === '/');
  assert.equal((await apiFromPage(page)).status, 401, 'the API refuses after logout');
}

test('Logto: the API accepts the tokens at login and after a refresh', { timeout: TEST_TIMEOUT }, async () => {
  await withStack(
    // PAR off: this journey reads the authorization request's parameters in the browser's URL.
    { DEMO_PROVIDER_PROFILE: 'logto', OIDC_PROVIDER: 'logto', DEMO_ACCESS_TOKEN_TTL: '4', OIDC_PAR: 'off' },
    async (stack) => {
      await withChromium(async (browser) => {
        const { page, problems } = await openPage(browser);
        const visited: string[] = [];
        page.on('request', (request) => visited.push(request.url()));
        await page.goto(`${stack.appUrl}/login`);
        await finishAtProvider(page, stack, ALICE);
        // Logto's issuer ends in /oidc; the API is named with `resource` and consent is prompted for.
        const authorize = new URL(visited.find((url) => url.startsWith(`${stack.issuer}/auth?`)) ?? 'about:blank');
        assert.equal(authorize.searchParams.get('resource'), stack.config.oidc.resource);
        assert.equal(authorize.searchParams.get('prompt'), 'consent');

        const first = await apiFromPage(page);
        assert.equal(first.status, 200, 'a JWT for the API, not an opaque token');
        assert.ok([first.body.aud].flat().includes(stack.config.oidc.resource));
        await sleep(4_500);
        const afterRefresh = await apiFromPage(page);
        assert.equal(afterRefresh.status, 200, 'the refreshed token is for the API too');
        assert.equal(stack.provider.stats.grants['refresh_token'], 1);

        await page.goto(`${stack.appUrl}/flow`);
        assert.equal(await page.getByTestId('provider-preset').textContent(), 'logto');
        await page.goto(`${stack.appUrl}/tokens`);
        assert.match(await mainText(page), /ES384/);
        await snap(page, 'logto-tokens');

        await logOutAtProvider(page, stack, /^\/oidc\/session\/end/);
        assert.deepEqual(problems, [], 'no CSP violation or script error');
      });
    },
  );
});

test('Auth0: an organization invitation link signs in to that organization', { timeout: TEST_TIMEOUT }, async () => {
  await withStack({ DEMO_PROVIDER_PROFILE: 'auth0', OIDC_PROVIDER: 'auth0' }, async (stack) => {
    await withChromium(async (browser) => {
      const { page, problems } = await openPage(browser);
      // What Auth0 puts in the invitation e-mail: the Application Login URI with these parameters.
      await page.goto(
        `${stack.appUrl}/login?invitation=inv_demo_welcome&organization=org_demo4cme&organization_name=acme`,
      );
      await finishAtProvider(page, stack, ALICE);
      await page.goto(`${stack.appUrl}/profile`);
      const profile = await mainText(page);
      assert.match(profile, /org_demo4cme/);
      assert.match(profile, /acme/);
      assert.equal((await apiFromPage(page)).status, 200);
      await snap(page, 'auth0-organization-profile');

      await logOutAtProvider(page, stack, /\/session\/end/);
      assert.deepEqual(problems, [], 'no CSP violation or script error');
    });
  });
});

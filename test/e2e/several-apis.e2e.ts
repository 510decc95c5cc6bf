/**
 * Several APIs behind one login, in a real browser: Debian's Chromium (playwright-core) against the
 * demo stack with two user APIs (the demo API at `/api/`, a second one at `/api/billing/` with its
 * own resource) and the demo management API (the app's own token) at `/api/management/`. The
 * console's selector reaches each; its per-API table shows each API's own token and countdown; once
 * the tokens have expired each API is refreshed on its own; no page holds a token.
 *
 * Run: `npm run test:e2e`. Screenshots go to artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Page, Response } from 'playwright-core';
import { DEMO_MANAGEMENT_AUDIENCE, DEMO_MANAGEMENT_SCOPE } from '../../src/config/config.js';
import { ALICE } from '../helpers/app-login.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { withStack, type Stack } from '../helpers/stack.js';
import {
  checkAccessibility,
  logInThroughBrowser,
  openPage,
  snap,
  waitForText,
  waitUntil,
  withChromium,
} from './helpers.js';

const TEST_TIMEOUT = 120_000;
const BILLING = 'https://billing.demo-api.example/';

/** Calls `<mount><path>` with the console's API selector and waits for the page to show the status. */
async function callWithSelector(page: Page, mountPath: string, path: string, status: number): Promise<void> {
  await page.locator('#api-select').selectOption(mountPath);
  await page.locator('#api-path').fill(path);
  const isThisCall = (response: Response): boolean => new URL(response.url()).pathname === `${mountPath}${path}`;
  const [response] = await Promise.all([
    page.waitForResponse(isThisCall),
    page.locator('#api-call-form').getByRole('button', { name: 'Call', exact: true }).click(),
  ]);
  assert.equal(response.status(), status, `${mountPath}${path} answered ${response.status()}`);
  await waitForText(page.locator('#call-status'), new RegExp(`^${status}\\b`));
}

/** A cell of the console's "Access token per API" table. */
function apiCell(page: Page, api: string, field: 'sends' | 'expiry') {
  return page.locator(`#api-tokens tr[data-api="${api}"] [data-field="${field}"]`);
}

/**
 * Makes every access token of the browser's login look expired to the app (the provider still takes them):
 * no waiting on a clock that a loaded machine could outrun.
 */
async function expireAllAccessTokens(stack: Stack, page: Page): Promise<void> {
  // The session id inside the signed cookie (`s:<id>.<signature>`), as the browser holds it.
  const cookie = (await page.context().cookies(stack.appUrl)).find((c) => c.name === stack.config.session.cookieName);
  const sessionId = /^s:([^.]+)\./.exec(decodeURIComponent(cookie?.value ?? ''))?.[1];
  const tokens = await stack.services.tokens.peek(sessionId ?? '');
  assert.ok(tokens, 'the login holds tokens');
  const past = Date.now() - 1000;
  const apiTokens = Object.fromEntries(
    Object.entries(tokens.apiTokens ?? {}).map(([name, token]) => [name, { ...token, expiresAt: past }]),
  );
  await stack.services.tokens.saveLogin(sessionId ?? '', {
    ...tokens,
    expiresAt: past,
    apiTokens,
    version: tokens.version + 1,
  });
}

function lastToken(api: RecordingApi): ReturnType<typeof decodeJwt> {
  const authorization = api.requests.at(-1)?.headers.authorization ?? '';
  assert.match(authorization, /^Bearer /);
  return decodeJwt(authorization.slice('Bearer '.length));
}

test(
  'two user APIs and a client API from one login: the selector, each API’s own token and countdown, refresh per API',
  { timeout: TEST_TIMEOUT },
  async () => {
    const billing = await startRecordingApi();
    try {
      const env = {
        API_BILLING_BASE_URL: billing.url,
        API_BILLING_RESOURCE: BILLING,
        API_BILLING_SCOPE: 'read:invoices',
      };
      const demoProvider = {
        extraApis: [
          { audience: DEMO_MANAGEMENT_AUDIENCE, userScopes: [], m2mScopes: DEMO_MANAGEMENT_SCOPE.split(' ') },
          { audience: BILLING, userScopes: ['read:invoices'], m2mScopes: [] },
        ],
      };
      await withStack(
        env,
        async (stack) => {
          await withChromium(async (browser) => {
            const { page, problems } = await openPage(browser);
            await logInThroughBrowser(page, stack, ALICE);
            await page.goto(`${stack.appUrl}/console`);
            await waitForText(page.locator('#token-version'), /^\d+$/);

            // Before its first call the billing API has no token; the management API uses the app's.
            await waitForText(apiCell(page, 'default', 'expiry'), /^\d+ s$/);
            await waitForText(apiCell(page, 'billing', 'sends'), /not fetched yet/);
            await waitForText(apiCell(page, 'management', 'sends'), /^the app's client-credentials token$/);

            await callWithSelector(page, '/api/', 'appointments', 200);
            await callWithSelector(page, '/api/billing/', 'invoices', 200);
            const billingToken = lastToken(billing);
            assert.equal(billingToken.aud, BILLING);
            assert.equal(billingToken.sub, ALICE.sub);
            await callWithSelector(page, '/api/management/', 'api/v2/clients', 200);
            assert.equal(billing.requests.length, 1, 'only the billing call reached the billing API');

            // Each API's own token, each with its own countdown.
            await waitForText(apiCell(page, 'billing', 'sends'), /^the user's$/);
            await waitForText(apiCell(page, 'billing', 'expiry'), /^\d+ s$/);
            await waitForText(apiCell(page, 'management', 'expiry'), /^—$/);
            await checkAccessibility(page, 'console with several APIs');
            await snap(page, 'console-several-apis');

            // Once the tokens have expired, each API's next call refreshes that API's token on its own.
            await expireAllAccessTokens(stack, page);
            await callWithSelector(page, '/api/billing/', 'invoices', 200);
            assert.notEqual(lastToken(billing).jti, billingToken.jti, 'the billing API got a new token');
            await callWithSelector(page, '/api/', 'appointments', 200);
            const history = page.locator('#refreshes li:not(.muted)');
            await waitUntil(
              async () =>
                (await history.allTextContents()).some((text) =>
                  /refreshed \(billing API\) because the access token was about to expire/.test(text),
                ),
              'the refresh history lists a refresh of the billing API',
            );

            // The tokens page lists each named API, decoded, never raw.
            await page.goto(`${stack.appUrl}/tokens`);
            assert.match((await page.locator('tr[data-api="billing"]').textContent()) ?? '', /held/);
            assert.equal(await page.locator('tr[data-api="management"]').count(), 1);
            assert.doesNotMatch(await page.content(), /eyJ/, 'no raw token on the tokens page');
            await page.goto(`${stack.appUrl}/flow`);
            assert.match((await page.locator('main').textContent()) ?? '', /Access token for the billing API/);
            assert.doesNotMatch(await page.content(), /eyJ/, 'no raw token on the flow page');
            assert.deepEqual(problems, []);
          });
        },
        { demoProvider },
      );
    } finally {
      await billing.close();
    }
  },
);

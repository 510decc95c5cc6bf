/**
 * The app in a real browser: Debian's Chromium (playwright-core) against the whole demo stack
 * (app on `localhost`, embedded provider on `127.0.0.1`: two sites, as in real life).
 *
 * Run: `npm run test:e2e` (node --test; each test starts its own stack and browser and closes
 * both). Screenshots of every page go to artifacts/e2e/; with UPDATE_SCREENSHOTS=1 the ones the
 * README shows are also copied to docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { ALICE, BOB } from '../helpers/app-login.js';
import { withStack, type Stack } from '../helpers/stack.js';
import {
  DESKTOP,
  PHONE,
  appErrorCode,
  assertNoHorizontalScroll,
  checkAccessibility,
  currentStep,
  finishAtProvider,
  logInThroughBrowser,
  mainText,
  openPage,
  sleep,
  snap,
  submitProviderLogin,
  waitForOrigin,
  waitForText,
  waitUntil,
  watch,
  withChromium,
  type AxeFinding,
} from './helpers.js';

const TEST_TIMEOUT = 120_000;

function issuerOrigin(stack: Stack): string {
  return new URL(stack.issuer).origin;
}

/** Clicks a link of the main navigation and waits for the page. */
async function navigate(page: Page, label: string, path: string): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.pathname === path, { waitUntil: 'load' }),
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click(),
  ]);
}

/**
 * Presses one of the API console's buttons and waits until the page shows the answer's status.
 * Returns the status line's text.
 */
async function callFromConsole(page: Page, buttonText: string, expectedStatus: number): Promise<string> {
  const button = page.locator('#calls').getByRole('button', { name: buttonText, exact: true });
  const method = (await button.getAttribute('data-method')) ?? '';
  const path = (await button.getAttribute('data-path')) ?? '';
  const isThisCall = (response: Response): boolean =>
    new URL(response.url()).pathname === path && response.request().method() === method;
  const [response] = await Promise.all([page.waitForResponse(isThisCall), button.click()]);
  assert.equal(response.status(), expectedStatus, `${method} ${path} answered ${response.status()}`);
  // The script sets the label and "…" synchronously on click, then the status when the body is read.
  assert.equal(await page.locator('#call-label').textContent(), `${method} ${path}`);
  return waitForText(page.locator('#call-status'), new RegExp(`^${expectedStatus}\\b`));
}

/** The header's "Log in" link / "Log out" button tell whether the app thinks we are signed in. */
async function headerState(page: Page): Promise<'logged-in' | 'logged-out'> {
  const header = page.locator('header.site-header');
  const logIn = await header.getByRole('link', { name: 'Log in', exact: true }).count();
  const logOut = await header.getByRole('button', { name: 'Log out', exact: true }).count();
  assert.ok(logIn + logOut === 1, `the header shows exactly one of "Log in"/"Log out" (${logIn}/${logOut})`);
  return logOut === 1 ? 'logged-in' : 'logged-out';
}

/** Status of `GET /api/appointments` sent by the page itself, as the console's script would. */
async function apiStatusFromPage(page: Page): Promise<number> {
  return page.evaluate(async () => (await fetch('/api/appointments', { headers: { 'X-CSRF': '1' } })).status);
}

test(
  '1. happy path: log in, call the API, refresh, read the flow, log out at the provider',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({ DEMO_ACCESS_TOKEN_TTL: '4' }, async (stack) => {
      await withChromium(async (browser) => {
        const { page, problems } = await openPage(browser);

        // Home, logged out.
        await page.goto(`${stack.appUrl}/`);
        assert.equal(await headerState(page), 'logged-out');

        // "Log in" → the provider's own page, on the other site.
        await Promise.all([
          waitForOrigin(page, issuerOrigin(stack)),
          page.locator('header.site-header').getByRole('link', { name: 'Log in', exact: true }).click(),
        ]);
        assert.equal(await currentStep(page, stack), 'provider-login');
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');
        await submitProviderLogin(page, ALICE);

        // Consent, then back on the app.
        assert.equal(await currentStep(page, stack), 'provider-consent');
        await Promise.all([
          waitForOrigin(page, stack.appUrl),
          page.getByRole('button', { name: 'Allow', exact: true }).click(),
        ]);
        assert.equal(new URL(page.url()).pathname, '/');
        assert.equal(await headerState(page), 'logged-in');

        // Profile shows the user.
        await navigate(page, 'Profile', '/profile');
        const profile = await mainText(page);
        assert.match(profile, new RegExp(ALICE.name));
        assert.match(profile, new RegExp(ALICE.email));
        assert.match(profile, new RegExp(ALICE.sub));

        // API console: the calls, through the app's /api proxy.
        await navigate(page, 'API console', '/console');
        await waitForText(page.locator('#token-version'), /^\d+$/);
        await callFromConsole(page, 'List appointments', 200);
        await callFromConsole(page, 'Create an appointment', 201);
        await callFromConsole(page, 'List contacts', 200);
        await callFromConsole(page, 'Call a route my scopes do not allow', 403);

        // Past the 4 s access-token lifetime, the next call refreshes first and still succeeds.
        const refreshes = page.locator('#refreshes li:not(.muted)');
        const versionBefore = Number(await page.locator('#token-version').textContent());
        const refreshesBefore = await refreshes.count();
        await sleep(4_500);
        await callFromConsole(page, 'List appointments', 200);
        await waitUntil(
          async () => (await refreshes.count()) > refreshesBefore,
          'the Refresh history lists a new refresh',
        );
        assert.match(
          (await refreshes.first().textContent()) ?? '',
          /refreshed because the access token was about to expire/,
        );
        await waitUntil(
          async () => Number(await page.locator('#token-version').textContent()) > versionBefore,
          'the token set version went up',
        );
        await snap(page, 'console-after-refresh', { docs: 'console.png' });

        // The flow inspector tells the story of this session.
        await navigate(page, 'How it works', '/flow');
        const titles = (await page.locator('ol.timeline h2').allTextContents()).map((title) => title.trim());
        // The demo provider publishes a PAR endpoint, so OIDC_PAR=auto pushes the request (RFC 9126).
        for (const expected of [
          'Pushed authorization request (PAR)',
          'Callback checked',
          'Tokens received and kept on the server',
          'Access token refreshed',
        ]) {
          assert.ok(titles.includes(expected), `the flow page lists "${expected}" (it lists: ${titles.join(' | ')})`);
        }
        const calls = (await page.locator('ol.timeline td code').allTextContents()).map((text) => text.trim());
        for (const call of [
          /^GET \S*appointments$/,
          /^POST \S*appointments$/,
          /^GET \S*contacts$/,
          /^GET \S*audit-log$/,
        ]) {
          assert.ok(
            calls.some((text) => call.test(text)),
            `the flow page lists an API call matching ${call} (it lists: ${calls.join(' | ')})`,
          );
        }
        const flow = await mainText(page);
        assert.match(flow, /code_challenge_method\s*S256/);
        for (const check of [/state matched/, /iss in the response/, /nonce in the ID token matched/, /PKCE/]) {
          assert.match(flow, check, `the callback step lists the check ${check}`);
        }
        assert.doesNotMatch(flow, /eyJ/, 'the flow page shows no token');
        await snap(page, 'flow', { docs: 'flow.png' });

        // The tokens page: decoded, never raw.
        await navigate(page, 'Tokens', '/tokens');
        assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Tokens held for you');
        assert.doesNotMatch(await page.content(), /eyJ/);
        await snap(page, 'tokens', { docs: 'tokens.png' });

        // Log out: POST /logout answers 303 to the provider's end-session endpoint. The CSP's
        // form-action must allow that redirect (CSP Level 3 form-action), and the form must pass
        // the app's own CSRF check in a real browser.
        await page.locator('header.site-header').getByRole('button', { name: 'Log out', exact: true }).click();
        try {
          await waitForOrigin(page, issuerOrigin(stack), 15_000);
        } catch {
          const where = page.url();
          const heading = await page
            .locator('h1')
            .first()
            .textContent()
            .catch(() => null);
          const code = await appErrorCode(page).catch(() => undefined);
          await snap(page, 'logout-blocked').catch(() => undefined);
          assert.fail(
            `LOGOUT BLOCKED: POST /logout did not take the browser to the provider's end-session endpoint. ` +
              `Now at ${where} (heading "${heading ?? ''}", app error code ${code ?? 'none'}). ` +
              `CSP/script problems: ${problems.length > 0 ? problems.join(' | ') : 'none'}`,
          );
        }
        assert.match(new URL(page.url()).pathname, /\/session\/end/);
        await snap(page, 'provider-logout-confirmation');
        await Promise.all([
          waitForOrigin(page, stack.appUrl),
          page.getByRole('button', { name: 'Yes, sign me out', exact: true }).click(),
        ]);

        // Back home, logged out, and the API says so.
        await page.waitForURL((url) => url.origin === stack.appUrl && url.pathname === '/' && url.search === '');
        assert.equal(await headerState(page), 'logged-out');
        assert.equal(await apiStatusFromPage(page), 401);
        await snap(page, 'home-after-logout');

        assert.deepEqual(problems, [], 'no CSP violation or script error on any page');
      });
    });
  },
);

test("2. a wrong password shows the provider's message", { timeout: TEST_TIMEOUT }, async () => {
  await withStack({}, async (stack) => {
    await withChromium(async (browser) => {
      const { page, problems } = await openPage(browser);
      await page.goto(`${stack.appUrl}/login`);
      await waitForOrigin(page, issuerOrigin(stack));
      await submitProviderLogin(page, { login: ALICE.login, password: 'not-the-password' });
      assert.equal(await currentStep(page, stack), 'provider-login', "still on the provider's login form");
      assert.equal((await page.locator('.error-message').textContent())?.trim(), 'Wrong username or password.');
      assert.equal(await page.locator('input[name=login]').inputValue(), ALICE.login, 'the username is kept');
      assert.equal(await page.locator('input[name=password]').inputValue(), '', 'the password is not echoed back');
      await snap(page, 'provider-login-wrong-password');
      await checkAccessibility(page, 'provider login with an error');

      // And the right password still works from there.
      await submitProviderLogin(page, ALICE);
      await finishAtProvider(page, stack, ALICE);
      assert.equal(await headerState(page), 'logged-in');
      assert.deepEqual(problems, []);
    });
  });
});

test("3. refusing consent shows the app's friendly access_denied page", { timeout: TEST_TIMEOUT }, async () => {
  await withStack({}, async (stack) => {
    await withChromium(async (browser) => {
      const { page, problems } = await openPage(browser);
      await page.goto(`${stack.appUrl}/login`);
      await waitForOrigin(page, issuerOrigin(stack));
      await submitProviderLogin(page, ALICE);
      assert.equal(await currentStep(page, stack), 'provider-consent');
      await Promise.all([
        waitForOrigin(page, stack.appUrl),
        page.getByRole('button', { name: 'Deny', exact: true }).click(),
      ]);

      assert.equal((await page.getByRole('heading', { level: 1 }).textContent())?.trim(), 'Sign-in was not completed');
      // The app's code for "the provider said no" is provider_error; the provider's own code is shown with it.
      const code = await appErrorCode(page);
      assert.ok(code, 'an app error page');
      const shownCodes = (await page.locator('main code').allTextContents()).map((text) => text.trim());
      assert.ok(
        shownCodes.includes('access_denied'),
        `the page shows the code access_denied (codes shown: ${shownCodes.join(', ')})`,
      );
      assert.match(await mainText(page), /The request was declined at the identity provider/);
      const retry = page.getByRole('link', { name: 'Try again', exact: true });
      assert.equal(await retry.count(), 1);
      assert.equal(await retry.getAttribute('href'), '/login');
      assert.equal(await headerState(page), 'logged-out');
      assert.doesNotMatch(page.url(), /[?&]code=/, 'no authorization code in the URL');
      await snap(page, 'error-access-denied', { docs: 'error-access-denied.png' });
      await checkAccessibility(page, 'error page (access_denied)');

      // "Try again" starts a new login: the provider remembers the person, so it asks for consent again.
      await Promise.all([waitForOrigin(page, issuerOrigin(stack)), retry.click()]);
      assert.ok(['provider-login', 'provider-consent'].includes(await currentStep(page, stack)));
      await finishAtProvider(page, stack, ALICE);
      assert.equal(await headerState(page), 'logged-in');
      assert.deepEqual(problems, []);
    });
  });
});

test(
  '4. two tabs logging in at once both end logged in, never on an error page',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({}, async (stack) => {
      await withChromium(async (browser) => {
        const { context, page: tabA, problems } = await openPage(browser);
        const tabB = await context.newPage();
        watch(tabB, problems);

        // Both tabs start a login and reach the provider's form.
        await tabA.goto(`${stack.appUrl}/login`);
        await tabB.goto(`${stack.appUrl}/login`);
        assert.equal(await currentStep(tabA, stack), 'provider-login');
        assert.equal(await currentStep(tabB, stack), 'provider-login');

        // B first, then A, each handling whatever the provider shows next.
        const stepsB = await finishAtProvider(tabB, stack, ALICE);
        const stepsA = await finishAtProvider(tabA, stack, ALICE);
        console.log(`# tab B saw: ${stepsB.join(' → ')}; tab A saw: ${stepsA.join(' → ')}`);

        for (const [name, tab] of [
          ['A', tabA],
          ['B', tabB],
        ] as const) {
          // Where the login left the tab: an app page, not an error page.
          assert.equal(new URL(tab.url()).origin, stack.appUrl, `tab ${name} ended on the app`);
          assert.equal(await appErrorCode(tab), undefined, `tab ${name} did not end on an error page (${tab.url()})`);
          // And it still works after a reload: the browser's one session is logged in.
          await tab.reload({ waitUntil: 'load' });
          assert.equal(new URL(tab.url()).origin, stack.appUrl, `tab ${name} is on the app`);
          assert.equal(await appErrorCode(tab), undefined, `tab ${name} is not an error page`);
          assert.equal(await headerState(tab), 'logged-in', `tab ${name} is logged in`);
          assert.equal(await apiStatusFromPage(tab), 200, `tab ${name} can call the API`);
        }
        await snap(tabA, 'two-tabs-tab-a');
        await snap(tabB, 'two-tabs-tab-b');
        assert.deepEqual(problems, []);
      });
    });
  },
);

test('4b. two tabs, two different people: the later login wins, no error page', { timeout: TEST_TIMEOUT }, async () => {
  await withStack({}, async (stack) => {
    await withChromium(async (browser) => {
      const { context, page: tabA, problems } = await openPage(browser);
      const tabB = await context.newPage();
      watch(tabB, problems);
      await tabA.goto(`${stack.appUrl}/login`);
      await tabB.goto(`${stack.appUrl}/login`);
      await finishAtProvider(tabB, stack, ALICE);
      // oidc-provider ends Alice's provider session (a self-submitting page) when Bob signs in.
      const stepsA = await finishAtProvider(tabA, stack, BOB);
      console.log(`# tab A (Bob after Alice) saw: ${stepsA.join(' → ')}`);
      for (const tab of [tabA, tabB]) {
        await tab.goto(`${stack.appUrl}/profile`);
        assert.equal(await appErrorCode(tab), undefined);
        assert.match(await mainText(tab), new RegExp(BOB.name), 'the browser session is the last login');
      }
      assert.deepEqual(problems, []);
    });
  });
});

test(
  '5. cookies in a real browser: sid is HttpOnly and SameSite=Lax, scripts see none, no page holds a token',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({}, async (stack) => {
      await withChromium(async (browser) => {
        const { context, page, problems } = await openPage(browser);
        const bodies: Array<Promise<{ url: string; body: string }>> = [];
        page.on('response', (response) => {
          const type = response.headers()['content-type'] ?? '';
          if (!/text\/html|json/.test(type) || (response.status() >= 300 && response.status() < 400)) return;
          bodies.push(
            response.text().then(
              (body) => ({ url: response.url(), body }),
              () => ({ url: response.url(), body: '' }),
            ),
          );
        });

        await logInThroughBrowser(page, stack, ALICE);
        const cookieName = stack.config.session.cookieName;
        const cookies = await context.cookies(stack.appUrl);
        const sid = cookies.find((cookie) => cookie.name === cookieName);
        assert.ok(sid, `the app set its "${cookieName}" cookie (cookies: ${cookies.map((c) => c.name).join(', ')})`);
        assert.equal(sid.httpOnly, true, 'HttpOnly');
        assert.equal(sid.sameSite, 'Lax', 'SameSite=Lax');
        assert.equal(sid.path, '/');
        assert.equal(sid.domain, 'localhost', 'host-only cookie (no Domain attribute widening it)');
        assert.equal(await page.evaluate('document.cookie'), '', "the page's scripts see no cookie at all");

        // Every page, and the console's JSON calls: no JWT anywhere.
        const paths = ['/', '/profile', '/console', '/flow', '/tokens', '/logout', '/m2m'];
        for (const path of paths) {
          const response = await page.goto(`${stack.appUrl}${path}`);
          if (path === '/m2m' && response?.status() === 404) continue;
          assert.equal(response?.status(), 200, `${path} answers 200`);
          assert.equal(await page.evaluate('document.cookie'), '', `document.cookie is empty on ${path}`);
          assert.doesNotMatch(await page.content(), /eyJ/, `${path} contains no JWT`);
          if (path === '/console') {
            await waitForText(page.locator('#token-version'), /^\d+$/);
            await callFromConsole(page, 'List appointments', 200);
            await callFromConsole(page, 'Who am I at the API?', 200);
            await page.getByRole('button', { name: 'Refresh now', exact: true }).click();
            await waitForText(page.locator('#call-status'), /^200\b/);
          }
        }
        const seen = (await Promise.all(bodies)).filter(({ body }) => body.length > 0);
        assert.ok(seen.length >= paths.length + 3, `responses were inspected (${seen.length})`);
        const leaks = seen.filter(({ body }) => body.includes('eyJ')).map(({ url }) => url);
        assert.deepEqual(leaks, [], 'no HTML or JSON response the browser received contains "eyJ"');
        assert.deepEqual(problems, []);
      });
    });
  },
);

/** One stop of the accessibility/screenshot tour. */
type Visit = (name: string, label: string, docs?: string) => Promise<AxeFinding[]>;

/**
 * Every page a person can meet, in the order they meet them: the app (logged out and in), the
 * provider's login (also with an error), consent, logout confirmation, signed-out and error
 * pages, and the app's error pages. Calls `visit` on each.
 */
async function tour(page: Page, stack: Stack, visit: Visit): Promise<void> {
  const issuer = issuerOrigin(stack);
  await page.goto(`${stack.appUrl}/`);
  await visit('home-logged-out', 'home (logged out)', 'home.png');

  await Promise.all([
    waitForOrigin(page, issuer),
    page.locator('main').getByRole('link', { name: 'Log in', exact: true }).click(),
  ]);
  await visit('provider-login', 'provider login', 'provider-login.png');
  await submitProviderLogin(page, { login: ALICE.login, password: 'wrong' });
  await visit('provider-login-error', 'provider login (wrong password)');
  await submitProviderLogin(page, ALICE);
  assert.equal(await currentStep(page, stack), 'provider-consent');
  await visit('provider-consent', 'provider consent', 'provider-consent.png');
  await Promise.all([
    waitForOrigin(page, stack.appUrl),
    page.getByRole('button', { name: 'Allow', exact: true }).click(),
  ]);
  await visit('home-logged-in', 'home (logged in)', 'home-logged-in.png');

  await navigate(page, 'Profile', '/profile');
  await visit('profile', 'profile', 'profile.png');

  await navigate(page, 'API console', '/console');
  await waitForText(page.locator('#token-version'), /^\d+$/);
  await callFromConsole(page, 'List appointments', 200);
  // The selector reaches the demo management API, which takes only the app's own (client) token.
  await page.locator('#api-select').selectOption('/api/management/');
  assert.equal(await page.locator('#api-path').inputValue(), 'api/v2/clients');
  const [managementCall] = await Promise.all([
    page.waitForResponse((response) => new URL(response.url()).pathname === '/api/management/api/v2/clients'),
    page.locator('#api-call-form').getByRole('button', { name: 'Call', exact: true }).click(),
  ]);
  assert.equal(managementCall.status(), 200);
  await waitForText(page.locator('#call-status'), /^200\b/);
  await visit('console', 'API console');

  const m2m = await page.goto(`${stack.appUrl}/m2m`);
  if (m2m?.status() === 404) {
    console.log('# /m2m answers 404 (the machine-to-machine page is not wired into the app yet): skipped');
  } else {
    assert.equal(m2m?.status(), 200);
    // The page's script posts /m2m/call with X-CSRF and shows the API's answer in place.
    await page.locator('#m2m-call-form').getByRole('button').click();
    await waitForText(page.locator('#m2m-status'), /^HTTP 200$/);
    assert.doesNotMatch(await page.content(), /eyJ/, 'the machine token is not in the page');
    // The management API, with a token for its own audience and scopes.
    await page.locator('#m2m-call-form-management').getByRole('button').click();
    await waitForText(page.locator('#m2m-output'), /"client_id"/);
    await waitForText(page.locator('#m2m-status'), /^HTTP 200$/);
    await visit('m2m', 'machine-to-machine', 'm2m.png');
  }

  await navigate(page, 'How it works', '/flow');
  await visit('flow-after-login', 'flow inspector');
  await navigate(page, 'Tokens', '/tokens');
  assert.equal(await page.locator('tr[data-api="management"]').count(), 1, 'the tokens page lists the named API');
  assert.doesNotMatch(await page.content(), /eyJ/, 'no raw token on the tokens page');
  await visit('tokens-after-login', 'tokens');

  await page.goto(`${stack.appUrl}/logout`);
  assert.equal(await page.getByRole('button', { name: 'Yes, log out', exact: true }).count(), 1);
  await visit('logout-confirmation', 'app logout confirmation');

  const missing = await page.goto(`${stack.appUrl}/no-such-page`);
  assert.equal(missing?.status(), 404);
  assert.ok(await appErrorCode(page), "the 404 is the app's error page");
  await visit('error-not-found', 'error page (404)');

  // The provider's logout confirmation and its "signed out" page (no redirect back requested).
  const clientId = stack.config.oidc.clientId;
  await page.goto(`${issuer}/session/end?client_id=${encodeURIComponent(clientId)}`);
  assert.equal(await page.getByRole('button', { name: 'Yes, sign me out', exact: true }).count(), 1);
  await visit('provider-logout', 'provider logout confirmation', 'provider-logout.png');
  await Promise.all([
    page.waitForEvent('framenavigated'),
    page.getByRole('button', { name: 'Yes, sign me out', exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  assert.match(await mainText(page), /You are signed out/);
  await visit('provider-logged-out', 'provider signed-out page');

  // The provider's error page (an unknown client).
  await page.goto(`${issuer}/auth?client_id=unknown-client&response_type=code&scope=openid`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Something went wrong');
  await visit('provider-error', 'provider error page');
}

test(
  '6. accessibility: axe-core finds no serious or critical violation on any page (desktop)',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({}, async (stack) => {
      await withChromium(async (browser) => {
        const { page, problems } = await openPage(browser, DESKTOP);
        const report: string[] = [];
        await tour(page, stack, async (name, label, docs) => {
          await snap(page, `desktop-${name}`, docs ? { docs } : {});
          const findings = await checkAccessibility(page, label);
          report.push(
            `${label}: ${findings.length === 0 ? 'clean' : findings.map((f) => `${f.impact} ${f.id}`).join(', ')}`,
          );
          return findings;
        });
        console.log(`# axe summary (desktop):\n#   ${report.join('\n#   ')}`);
        assert.deepEqual(problems, []);
      });
    });
  },
);

test(
  '7. phone width (390×844): every page fits, stays accessible, and is screenshotted',
  { timeout: TEST_TIMEOUT },
  async () => {
    await withStack({}, async (stack) => {
      await withChromium(async (browser) => {
        const { page, problems } = await openPage(browser, PHONE);
        const phoneDocs: Record<string, string> = { 'home-logged-out': 'home-phone.png', console: 'console-phone.png' };
        await tour(page, stack, async (name, label) => {
          await snap(page, `phone-${name}`);
          // For the README: what a phone shows without scrolling.
          const docs = phoneDocs[name];
          if (docs) await snap(page, `phone-${name}-screen`, { docs, fullPage: false });
          await assertNoHorizontalScroll(page, label);
          return checkAccessibility(page, `${label} (phone)`);
        });
        assert.deepEqual(problems, []);
      });
    });
  },
);

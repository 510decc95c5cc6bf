/**
 * Helpers of the browser end-to-end tests (test/e2e/*.e2e.ts): Debian's Chromium driven by
 * playwright-core, screenshots, axe-core in the page, and the provider's pages as a person
 * would use them.
 *
 * - Never downloads a browser: `executablePath` is Debian's `/usr/bin/chromium`.
 * - The page's own CSP stays on (no `bypassCSP`): the tests must see what a visitor sees,
 *   e.g. `form-action` blocking the redirect of POST /logout (CSP Level 3 form-action).
 * - axe-core is evaluated through the DevTools protocol (`page.evaluate(source)`), which CSP
 *   does not govern; `page.addScriptTag` injects an inline `<script>` that the app's nonce-based
 *   `script-src` (rightly) refuses.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { DemoAccount } from '../../src/demo/demo-accounts.js';
import type { Stack } from '../helpers/stack.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Every screenshot (git-ignored test artifacts). */
export const ARTIFACTS_DIR = path.join(ROOT, 'artifacts', 'e2e');
/** README screenshots, written only with UPDATE_SCREENSHOTS=1 so CI runs do not churn them. */
export const DOCS_DIR = path.join(ROOT, 'docs', 'screenshots');
const AXE_PATH = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/** Flags that keep headless Chromium off the network on a closed machine (no background services). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Upper bound of any single wait (navigation, click, polling). */
export const STEP_TIMEOUT = 20_000;

/**
 * Launches headless Chromium. Playwright gives every launch a fresh temporary user-data dir
 * and removes it on close. `extraArgs` are added to the usual flags.
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30_000,
  });
}

/** A page plus what went wrong in it that no assertion would otherwise see. */
export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** CSP violations and uncaught script errors, as reported by the browser. */
  readonly problems: string[];
}

/**
 * A new browser context (its own cookie jar) with one page, watched for CSP violations and script
 * errors. `locale` sets the browser's language (its `Accept-Language` and `navigator.language`).
 */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number } = DESKTOP,
  locale = 'en-US',
): Promise<WatchedPage> {
  const phone = viewport.width < 600;
  const context = await browser.newContext({
    viewport,
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    locale,
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const problems = watch(page);
  return { context, page, problems };
}

/** Collects CSP violations and uncaught errors of a page (also for extra tabs of a context). */
export function watch(page: Page, problems: string[] = []): string[] {
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${page.url()}: uncaught ${error.message}`));
  return problems;
}

/** Polls until `locator`'s text matches `pattern`; returns the text. */
export async function waitForText(locator: Locator, pattern: RegExp, timeout = STEP_TIMEOUT): Promise<string> {
  const deadline = Date.now() + timeout;
  let text = '';
  for (;;) {
    text = ((await locator.textContent({ timeout }).catch(() => null)) ?? '').replace(/\s+/g, ' ').trim();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) {
      assert.fail(
        `timed out after ${timeout} ms waiting for ${String(locator)} to match ${pattern}; last text: "${text}"`,
      );
    }
    await sleep(100);
  }
}

/** Polls until `predicate` holds (at most `timeout` ms). */
export async function waitUntil(
  predicate: () => Promise<boolean>,
  what: string,
  timeout = STEP_TIMEOUT,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the page shows a URL of `origin` (any path) and has loaded. */
export async function waitForOrigin(page: Page, origin: string, timeout = STEP_TIMEOUT): Promise<void> {
  await page.waitForURL((url) => url.origin === origin, { timeout, waitUntil: 'load' });
}

/** The visible text of the page's main element, whitespace-collapsed. */
export async function mainText(page: Page): Promise<string> {
  return ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Options of {@link snap}. */
export interface SnapOptions {
  /** File name under docs/screenshots/, `ja/` for a Japanese page (written only when UPDATE_SCREENSHOTS=1). */
  readonly docs?: string;
  /** Whole scrollable page (default) or just the viewport. */
  readonly fullPage?: boolean;
}

/** Saves a screenshot to artifacts/e2e/<name>.png, and to docs/screenshots/ when asked and enabled. */
export async function snap(page: Page, name: string, options: SnapOptions = {}): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  // No hover effect on whatever was clicked last; hide the caret, finish transitions.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true, animations: 'disabled', caret: 'hide' });
  if (options.docs && process.env['UPDATE_SCREENSHOTS'] === '1') {
    const target = path.join(DOCS_DIR, options.docs);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file, target);
  }
  return file;
}

/** One axe-core violation, reduced to what a report needs. */
export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.x A/AA + best practices) in the page. Fails on any "serious" or
 * "critical" violation; prints the others. Returns every violation found.
 */
export async function checkAccessibility(page: Page, label: string): Promise<AxeFinding[]> {
  axeSource ??= await readFile(AXE_PATH, 'utf8');
  // Evaluated through CDP (Runtime.evaluate): not subject to the page's CSP, unlike a <script>.
  await page.evaluate(axeSource);
  const findings = (await page.evaluate(`
    axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((node) => node.target.join(' ')),
      })))
  `)) as AxeFinding[];
  const blocking = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
  for (const finding of findings.filter((f) => !blocking.includes(f))) {
    console.log(
      `# axe ${label}: ${finding.impact ?? 'n/a'} ${finding.id} (${finding.help}) at ${finding.targets.join(', ')}`,
    );
  }
  assert.deepEqual(
    blocking.map((f) => `${f.impact} ${f.id}: ${f.help} at ${f.targets.join(', ')}`),
    [],
    `axe found serious/critical violations on ${label} (${page.url()})`,
  );
  return findings;
}

/** Fails when the page scrolls sideways (content wider than the viewport). */
export async function assertNoHorizontalScroll(page: Page, label: string): Promise<void> {
  const widths = (await page.evaluate(
    '({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth })',
  )) as { scroll: number; viewport: number };
  assert.ok(
    widths.scroll <= widths.viewport,
    `${label} is ${widths.scroll}px wide in a ${widths.viewport}px viewport: it scrolls sideways`,
  );
}

/** The provider's login form: fills it and presses its button, in any language (waits for the next page). */
export async function submitProviderLogin(page: Page, account: Pick<DemoAccount, 'login' | 'password'>): Promise<void> {
  await page.locator('input[name=login]').fill(account.login);
  await page.locator('input[name=password]').fill(account.password);
  await Promise.all([
    page.waitForEvent('framenavigated'),
    page.locator('form:has(input[name=password]) button[type=submit]').click(),
  ]);
  await page.waitForLoadState('load');
}

/** What the page in front of the person is. */
export type Step = 'provider-login' | 'provider-consent' | 'provider-other' | 'app' | 'other';

export async function currentStep(page: Page, stack: Pick<Stack, 'issuer' | 'appUrl'>): Promise<Step> {
  const url = new URL(page.url());
  if (url.origin === new URL(stack.issuer).origin) {
    if ((await page.locator('input[name=password]').count()) > 0) return 'provider-login';
    if ((await page.locator('button[name=decision][value=allow]').count()) > 0) return 'provider-consent';
    return 'provider-other';
  }
  return url.origin === stack.appUrl ? 'app' : 'other';
}

/**
 * Goes through whatever the provider shows, as a person would: sign in when asked, answer the
 * consent page, wait through self-submitting pages, until the browser is back on the app.
 * Returns the steps seen, in order.
 */
export async function finishAtProvider(
  page: Page,
  stack: Pick<Stack, 'issuer' | 'appUrl'>,
  account: Pick<DemoAccount, 'login' | 'password'>,
  decision: 'allow' | 'deny' = 'allow',
): Promise<Step[]> {
  const seen: Step[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await page.waitForLoadState('load');
    const step = await currentStep(page, stack);
    seen.push(step);
    if (step === 'app') return seen;
    if (page.url().startsWith('chrome-error:')) {
      assert.fail(
        `Chromium refused a navigation (CSP form-action or a network error); steps seen: ${seen.join(' → ')}`,
      );
    }
    if (step === 'provider-login') {
      const error = page.locator('.error-message');
      if (seen.filter((s) => s === 'provider-login').length > 1 && (await error.count()) > 0) {
        assert.fail(`the provider refused the login: ${await error.textContent()}`);
      }
      await submitProviderLogin(page, account);
    } else if (step === 'provider-consent') {
      await Promise.all([
        page.waitForEvent('framenavigated'),
        page.locator(`button[name=decision][value=${decision}]`).click(),
      ]);
    } else {
      // A self-submitting page of oidc-provider (or a redirect in progress): give it a moment.
      await sleep(200);
    }
  }
  assert.fail(`did not get back to the app within 30 s; steps seen: ${seen.join(' → ')}; now at ${page.url()}`);
}

/** From anywhere: opens the app's /login and signs in at the provider; ends on the app. */
export async function logInThroughBrowser(
  page: Page,
  stack: Stack,
  account: Pick<DemoAccount, 'login' | 'password'>,
): Promise<Step[]> {
  await page.goto(`${stack.appUrl}/login`);
  return finishAtProvider(page, stack, account);
}

/** Whether the page is one of the app's error pages (views/error.ejs renders `Error code <code>`). */
export async function appErrorCode(page: Page): Promise<string | undefined> {
  const code = page.locator('main p.small', { hasText: 'Error code' }).locator('code').first();
  if ((await code.count()) === 0) return undefined;
  return (await code.textContent()) ?? undefined;
}

/**
 * Runs `body` with a fresh Chromium, closing it whatever happens. (Each test also starts and
 * closes its own stack.)
 */
export async function withChromium<T>(body: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    return await body(browser);
  } finally {
    await browser.close().catch(() => undefined);
  }
}

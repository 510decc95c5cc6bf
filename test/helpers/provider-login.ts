/**
 * Drives the demo identity provider's HTML pages (src/demo/identity-provider/, views/provider)
 * with a {@link Browser}: sign in, consent, and RP-initiated logout confirmation.
 */
import { randomUUID } from 'node:crypto';
import { DEMO_CLIENT } from '../../src/config/config.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/oidc/backchannel-logout.js';
import type { Browser, FollowResult } from './browser.js';
import type { Stack } from './stack.js';
import { errorMessageOf, parseForms, type ParsedForm } from './html-forms.js';

// Tests that drive the provider's pages read them with the one form parser.
export { errorMessageOf, parseForm, parseForms, type ParsedForm } from './html-forms.js';

/** The script oidc-provider puts in its self-submitting pages (lib/response_modes/form_post.js). */
const AUTO_SUBMIT = /document\.forms\[0\]\.submit\(\)/;

/** Options of {@link loginAtProvider}. */
export interface LoginAtProviderOptions {
  login: string;
  password: string;
  /** What to answer on the consent page, when the provider shows one (default 'allow'). */
  consent?: 'allow' | 'deny';
  /** Stop before fetching a redirect target for which this returns true (e.g. the app's /callback). */
  stopAt?: (url: URL) => boolean;
  /** Maximum redirects per hop (default 10). */
  max?: number;
}

/** Result of {@link loginAtProvider}. */
export interface LoginAtProviderResult extends FollowResult {
  /** Whether the provider asked for consent. */
  consentShown: boolean;
}

/**
 * Starts at `startUrl` (typically the app's /login, or an authorization URL), follows redirects
 * to the provider, submits the login form, answers the consent page if one is shown, and follows
 * redirects until a non-redirect response outside the provider's pages (the app's callback
 * result) — or until `stopAt` matches. Throws with the page's message when the login fails.
 */
export async function loginAtProvider(
  browser: Browser,
  startUrl: string | URL,
  options: LoginAtProviderOptions,
): Promise<LoginAtProviderResult> {
  const { login, password, consent = 'allow', stopAt, max = 10 } = options;
  const followOptions = { max, ...(stopAt ? { stopAt } : {}) };
  let result = await browser.follow(startUrl, followOptions);
  let consentShown = false;
  let loginSubmitted = false;

  for (let step = 0; step < 8; step += 1) {
    if (result.stoppedAt !== undefined) return { ...result, consentShown };
    const pageUrl = result.urls.at(-1) ?? new URL(startUrl).href;
    if (!(result.response.headers.get('content-type') ?? '').includes('text/html')) {
      return { ...result, consentShown };
    }
    const html = await browser.text(result.response);
    const forms = parseForms(html);
    const loginForm = forms.find((form) => 'login' in form.fields && 'password' in form.fields);
    const consentForm = forms.find((form) => form.buttons.some((button) => button.name === 'decision'));

    let next: { form: ParsedForm; values: Record<string, string> } | undefined;
    const autoSubmitted = AUTO_SUBMIT.test(html) ? forms[0] : undefined;
    if (autoSubmitted) {
      // oidc-provider's self-submitting form (form_post, or ending the previous user's session
      // when someone else signs in): a browser runs its script, we submit it ourselves.
      next = { form: autoSubmitted, values: {} };
    } else if (loginForm) {
      if (loginSubmitted) {
        throw new Error(
          `login at the provider failed (${result.response.status}): ${errorMessageOf(html) ?? 'no message'}`,
        );
      }
      loginSubmitted = true;
      next = { form: loginForm, values: { login, password } };
    } else if (consentForm) {
      consentShown = true;
      next = { form: consentForm, values: { decision: consent } };
    } else {
      // Neither form: we have left the provider's interaction pages.
      return { ...result, consentShown };
    }

    const action = new URL(next.form.action || pageUrl, pageUrl);
    const posted = await browser.post(action, { ...next.form.fields, ...next.values });
    const followed = await browser.followRedirects(posted, action, followOptions);
    result = { ...followed, urls: [...result.urls, action.href, ...followed.urls] };
  }
  throw new Error(`loginAtProvider: too many pages; visited ${result.urls.join(' -> ')}`);
}

/** Options of {@link confirmLogoutAtProvider}. */
export interface ConfirmLogoutOptions {
  /** true (default) presses "Yes, sign me out"; false presses "No, stay signed in". */
  confirm?: boolean;
  stopAt?: (url: URL) => boolean;
  max?: number;
}

/**
 * Opens the provider's end-session URL (or a URL redirecting to it), submits the logout
 * confirmation form, and follows the redirects (to the app's post_logout_redirect_uri).
 */
export async function confirmLogoutAtProvider(
  browser: Browser,
  endSessionUrl: string | URL,
  options: ConfirmLogoutOptions = {},
): Promise<FollowResult> {
  const { confirm = true, stopAt, max = 10 } = options;
  const followOptions = { max, ...(stopAt ? { stopAt } : {}) };
  const page = await browser.follow(endSessionUrl, followOptions);
  if (page.stoppedAt !== undefined) return page;
  const pageUrl = page.urls.at(-1) ?? new URL(endSessionUrl).href;
  const html = await browser.text(page.response);
  const form = parseForms(html).find((candidate) => candidate.buttons.some((button) => button.name === 'logout'));
  if (!form) {
    throw new Error(`no logout confirmation form at ${pageUrl} (status ${page.response.status})`);
  }
  const action = new URL(form.action || pageUrl, pageUrl);
  const values = confirm ? { ...form.fields, logout: 'yes' } : form.fields;
  const posted = await browser.post(action, values);
  const followed = await browser.followRedirects(posted, action, followOptions);
  return { ...followed, urls: [...page.urls, action.href, ...followed.urls] };
}

/**
 * A logout token signed by the embedded provider's own key, built the way its Client#backchannelLogout
 * builds one (oidc-provider's IdToken with `use: 'logout'`), with `changes` applied: each refused case
 * below breaks exactly one rule of §2.6 and nothing else. `sub: undefined` leaves the claim out.
 */
export async function providerLogoutToken(
  stack: Pick<Stack, 'provider'>,
  changes: Record<string, unknown>,
  options: { clientId?: string; events?: boolean } = {},
): Promise<string> {
  // Reached behind the provider's HTTP API; these members are missing from its type definitions.
  const oidc = stack.provider.provider as unknown as {
    Client: { find(id: string): Promise<unknown> };
    IdToken: new (
      claims: Record<string, unknown>,
      context: { client: unknown; ctx: undefined },
    ) => { mask: unknown; set(name: string, value: unknown): void; issue(o: { use: 'logout' }): Promise<string> };
  };
  const registered = await oidc.Client.find(options.clientId ?? DEMO_CLIENT.clientId);
  const { sub, ...extra } = changes;
  const token = new oidc.IdToken(sub === undefined ? {} : { sub }, { client: registered, ctx: undefined });
  token.mask = { sub: null };
  if (options.events !== false) token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} });
  token.set('jti', randomUUID());
  for (const [name, value] of Object.entries(extra)) token.set(name, value);
  return token.issue({ use: 'logout' });
}

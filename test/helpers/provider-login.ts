/**
 * Drives the demo identity provider's HTML pages (src/demo/identity-provider.ts, views/provider)
 * with a {@link Browser}: sign in, consent, and RP-initiated logout confirmation.
 */
import type { Browser, FollowResult } from './browser.js';

/** A `<form>` found in a page, with the values a browser would submit. */
export interface ParsedForm {
  id?: string;
  /** The action attribute as written (resolve it against the page URL); '' when absent. */
  action: string;
  /** Lower-case method, 'get' when absent. */
  method: string;
  /** Successful controls with a name: hidden/text/password/email inputs (checked boxes too). */
  fields: Record<string, string>;
  /** Submit buttons of the form (also those outside it with a matching `form` attribute). */
  buttons: Array<{ name?: string; value?: string; text: string }>;
}

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

/** The text of the page's `.error-message` element, if any. */
export function errorMessageOf(html: string): string | undefined {
  const match = /<(\w+)[^>]*class="[^"]*\berror-message\b[^"]*"[^>]*>([\s\S]*?)<\/\1>/.exec(html);
  return match?.[2] === undefined ? undefined : textOf(match[2]);
}

/** Every form of the page (a small regex parser, good enough for our own templates). */
export function parseForms(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    const inner = match[2] ?? '';
    const form: ParsedForm = {
      action: attributes['action'] ?? '',
      method: (attributes['method'] ?? 'get').toLowerCase(),
      fields: {},
      buttons: [],
    };
    if (attributes['id'] !== undefined) form.id = attributes['id'];
    collectControls(inner, form);
    forms.push(form);
  }
  // Controls outside a form that name it with the `form` attribute (oidc-provider's default pages do this).
  for (const form of forms) {
    if (form.id === undefined) continue;
    const outside = html.replace(/<form\b[\s\S]*?<\/form>/gi, '');
    const owned = [
      ...outside.matchAll(/<(?:button|input)\b[^>]*\bform="([^"]*)"[^>]*>(?:[\s\S]*?<\/button>)?/gi),
    ].filter((control) => decodeEntities(control[1] ?? '') === form.id);
    collectControls(owned.map((control) => control[0]).join('\n'), form);
  }
  return forms;
}

/** The first form of the page (that satisfies `predicate`); throws when there is none. */
export function parseForm(html: string, predicate: (form: ParsedForm) => boolean = () => true): ParsedForm {
  const form = parseForms(html).find(predicate);
  if (!form) throw new Error('no matching <form> in the page');
  return form;
}

function collectControls(html: string, form: ParsedForm): void {
  for (const match of html.matchAll(/<input\b([^>]*)>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    const type = (attributes['type'] ?? 'text').toLowerCase();
    const name = attributes['name'];
    if (name === undefined) continue;
    if (type === 'submit') {
      form.buttons.push({ name, value: attributes['value'] ?? '', text: attributes['value'] ?? '' });
    } else if ((type === 'checkbox' || type === 'radio') && !('checked' in attributes)) {
      continue;
    } else if (type !== 'button' && type !== 'reset' && type !== 'file' && type !== 'image') {
      form.fields[name] = attributes['value'] ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
    }
  }
  for (const match of html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    const type = (attributes['type'] ?? 'submit').toLowerCase();
    if (type !== 'submit') continue;
    const button: ParsedForm['buttons'][number] = { text: textOf(match[2] ?? '') };
    if (attributes['name'] !== undefined) button.name = attributes['name'];
    if (attributes['value'] !== undefined) button.value = attributes['value'];
    form.buttons.push(button);
  }
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(/([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = (match[1] ?? '').toLowerCase();
    attributes[name] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Real logins for the benchmark (bench only): a browser's round trip through
 * the app's /login, the demo provider's sign-in and consent pages, and back to
 * the app's /callback, with fetch, a tough-cookie jar (RFC 6265) and
 * node-html-parser for the provider's two forms, recognised by their fields.
 * A page it does not recognise is an error, never a guess. Separate from the
 * tests' browser helper: the benchmark never imports test/.
 */
import { parse } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';
import type { DemoAccount } from '../../src/demo/demo-accounts.js';
import type { AppInstance, Run } from './stack.js';

/** A logged-in session as the browser holds it. */
export interface LoggedIn {
  /** `sid=<signed value>` as the browser sends it. */
  readonly cookie: string;
  readonly sid: string;
}

/** One request with the jar's cookies; never follows redirects itself. */
async function send(jar: CookieJar, url: URL, form?: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { cookie: await jar.getCookieString(url.href) };
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  for (const header of response.headers.getSetCookie()) await jar.setCookie(header, url.href, { ignoreError: true });
  return response;
}

/** What to post from a provider page: the sign-in form or the consent form. */
function nextForm(html: string, account: DemoAccount): { action: string; fields: Record<string, string> } | undefined {
  const form = parse(html).querySelector('form');
  const action = form?.getAttribute('action');
  if (!form || action === undefined) return undefined;
  if (form.querySelector('input[name="password"]')) {
    return { action, fields: { login: account.login, password: account.password } };
  }
  if (form.querySelector('button[name="decision"]')) return { action, fields: { decision: 'allow' } };
  return undefined;
}

/**
 * Logs `account` in through `instance`. The provider sends the browser to
 * BASE_URL/callback; a load balancer would route that to any instance, so the
 * callback is delivered to `instance`.
 */
export async function login(
  run: Pick<Run, 'publicOrigin'>,
  instance: Pick<AppInstance, 'origin'>,
  account: DemoAccount,
): Promise<LoggedIn> {
  const jar = new CookieJar(undefined, { allowSecureOnLocal: true, rejectPublicSuffixes: false });
  let url = new URL('/login', instance.origin);
  let response = await send(jar, url);
  const visited = [url.href];
  for (let step = 0; step < 20; step += 1) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      const next = new URL(location, url);
      if (next.origin === run.publicOrigin && next.pathname === '/callback') {
        return finishAt(jar, instance, new URL(next.pathname + next.search, instance.origin));
      }
      url = next;
      response = await send(jar, url);
    } else {
      const html = await response.text();
      const form = nextForm(html, account);
      if (!form) throw new Error(`login stopped at ${url.href} (${response.status}): ${html.slice(0, 200)}`);
      url = new URL(form.action, url);
      response = await send(jar, url, form.fields);
    }
    visited.push(url.href);
  }
  throw new Error(`login did not reach the callback (visited ${visited.join(' -> ')})`);
}

async function finishAt(jar: CookieJar, instance: Pick<AppInstance, 'origin'>, callback: URL): Promise<LoggedIn> {
  const response = await send(jar, callback);
  const body = await response.text();
  if (response.status < 300 || response.status >= 400) {
    throw new Error(`callback answered ${response.status}: ${body.slice(0, 300)}`);
  }
  const cookies = await jar.getCookies(instance.origin);
  const raw = cookies.find((cookie) => cookie.key === 'sid')?.value;
  const sid = raw ? /^s:([^.]+)\./.exec(decodeURIComponent(raw))?.[1] : undefined;
  if (!raw || !sid) throw new Error('no session cookie after the callback');
  return { cookie: `sid=${raw}`, sid };
}

/** The headers of a browser's `/api` call with this session. */
export function apiHeaders(session: LoggedIn): Record<string, string> {
  return { cookie: session.cookie, 'x-csrf': '1', accept: 'application/json' };
}

/** The status of one GET (body drained). */
export async function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

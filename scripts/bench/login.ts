/**
 * Real logins for the benchmark (bench only): a browser's round trip through
 * the app's /login, the demo provider's sign-in and consent pages, and back to
 * the app's /callback, with nothing but fetch and a cookie jar.
 *
 * Deliberately small, and separate from the tests' browser helper (the
 * benchmark never imports test/): cookies per host with their path (RFC 6265
 * §5.1.4), parsed by undici; the provider's two forms recognised by their
 * fields. A page it does not recognise is an error, never a guess.
 */
import { parseCookie } from 'undici';
import type { DemoAccount } from '../../src/demo/demo-accounts.js';
import type { AppInstance, Run } from './stack.js';

/** A logged-in session as the browser holds it. */
export interface LoggedIn {
  /** `sid=<signed value>` as the browser sends it. */
  readonly cookie: string;
  readonly sid: string;
}

interface StoredCookie {
  readonly value: string;
  readonly path: string;
}

/** Cookies by host, then by name and path. */
class CookieJar {
  readonly #byHost = new Map<string, Map<string, StoredCookie & { name: string }>>();

  store(url: URL, response: Response): void {
    const cookies = this.#byHost.get(url.host) ?? new Map<string, StoredCookie & { name: string }>();
    this.#byHost.set(url.host, cookies);
    for (const header of response.headers.getSetCookie()) {
      const parsed = parseCookie(header);
      if (!parsed) continue;
      const path = parsed.path?.startsWith('/') ? parsed.path : '/';
      const expires = parsed.expires instanceof Date ? parsed.expires.getTime() : parsed.expires;
      const gone =
        (parsed.maxAge !== undefined && parsed.maxAge <= 0) || (expires !== undefined && expires <= Date.now());
      if (gone) cookies.delete(`${parsed.name};${path}`);
      else cookies.set(`${parsed.name};${path}`, { name: parsed.name, value: parsed.value, path });
    }
  }

  header(url: URL): string {
    const matching = [...(this.#byHost.get(url.host)?.values() ?? [])].filter(
      (cookie) =>
        url.pathname === cookie.path ||
        (url.pathname.startsWith(cookie.path) &&
          (cookie.path.endsWith('/') || url.pathname[cookie.path.length] === '/')),
    );
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  value(url: URL, name: string): string | undefined {
    return this.#byHost.get(url.host)?.get(`${name};/`)?.value;
  }
}

/** One request with the jar's cookies; never follows redirects itself. */
async function send(jar: CookieJar, url: URL, form?: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header(url) };
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  jar.store(url, response);
  return response;
}

/** What to post from a provider page: the sign-in form or the consent form. */
function nextForm(html: string, account: DemoAccount): { action: string; fields: Record<string, string> } | undefined {
  const action = /<form\b[^>]*\baction="([^"]*)"/i.exec(html)?.[1]?.replace(/&amp;/g, '&');
  if (action === undefined) return undefined;
  if (/\bname="password"/.test(html)) return { action, fields: { login: account.login, password: account.password } };
  if (/\bname="decision"/.test(html)) return { action, fields: { decision: 'allow' } };
  return undefined;
}

/**
 * Logs `account` in through `instance`. The provider sends the browser to
 * BASE_URL/callback; a load balancer would route that to any instance, so the
 * callback is delivered to `instance`.
 */
export async function login(run: Run, instance: AppInstance, account: DemoAccount): Promise<LoggedIn> {
  const jar = new CookieJar();
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

async function finishAt(jar: CookieJar, instance: AppInstance, callback: URL): Promise<LoggedIn> {
  const response = await send(jar, callback);
  const body = await response.text();
  if (response.status < 300 || response.status >= 400) {
    throw new Error(`callback answered ${response.status}: ${body.slice(0, 300)}`);
  }
  const raw = jar.value(new URL(instance.origin), 'sid');
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

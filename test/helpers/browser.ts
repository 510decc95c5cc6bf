/**
 * A tiny "browser" for black-box integration tests: global fetch with a cookie jar.
 *
 * - Redirects are never followed implicitly (`redirect: 'manual'`); use {@link Browser.follow}.
 * - Cookies are kept per host:port (RFC 6265 §5.3 host-only cookies; `Domain` is ignored, which
 *   is right for the loopback hosts tests use), with `Path` matching (§5.1.4), `Max-Age`
 *   winning over `Expires` (§5.3 step 3) and removal when either is in the past. `Secure`
 *   cookies are sent over https and to loopback hosts (as Chromium treats localhost as secure).
 *   `SameSite` is not modelled: there is no notion of the initiating site here.
 * - Every exchange is recorded in {@link Browser.log}; bodies are recorded when read through
 *   {@link Browser.text}, so a test can search everything the "browser" saw (e.g. for tokens).
 */

/** One request/response pair as seen by the browser. */
export interface LogEntry {
  method: string;
  url: string;
  /** Form body the browser sent, if any. */
  requestBody?: string;
  status: number;
  headers: Record<string, string>;
  /** Response body text, once read via `browser.text(res)` (or by `follow`). */
  body?: string;
}

/** Result of following redirects. */
export interface FollowResult {
  /** The last response fetched (a non-redirect, or the redirect that pointed at `stopAt`). */
  response: Response;
  /** Every URL fetched, in order, starting with the first one. */
  urls: string[];
  /** The redirect target that matched `stopAt` and was NOT fetched. */
  stoppedAt?: string;
}

/** Options of {@link Browser.follow}. */
export interface FollowOptions {
  /** Maximum number of redirects to follow (default 10). */
  max?: number;
  /** Stop before fetching a redirect target for which this returns true. */
  stopAt?: (url: URL) => boolean;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  secure: boolean;
  /** Epoch ms; undefined = session cookie. */
  expiresAt?: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A cookie-keeping HTTP client over global fetch. */
export class Browser {
  /** Everything this browser sent and received, in order. */
  readonly log: LogEntry[] = [];

  readonly #jar = new Map<string, StoredCookie[]>();
  readonly #entries = new WeakMap<Response, LogEntry>();

  /** Sends a request with this browser's cookies; records and stores the response's cookies. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookieHeader = this.cookiesFor(target);
    if (cookieHeader && !headers.has('cookie')) headers.set('cookie', cookieHeader);

    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.#store(target, response.headers.getSetCookie());

    const entry: LogEntry = {
      method: (init.method ?? 'GET').toUpperCase(),
      url: target.href,
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
    };
    if (typeof init.body === 'string') entry.requestBody = init.body;
    else if (init.body instanceof URLSearchParams) entry.requestBody = init.body.toString();
    this.log.push(entry);
    this.#entries.set(response, entry);
    return response;
  }

  /** GET `url`. */
  get(url: string | URL, init: RequestInit = {}): Promise<Response> {
    return this.request(url, { ...init, method: 'GET' });
  }

  /** POST `form` as application/x-www-form-urlencoded, as an HTML form would. */
  post(url: string | URL, form: Record<string, string>, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('content-type', 'application/x-www-form-urlencoded');
    return this.request(url, {
      ...init,
      method: 'POST',
      headers,
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Reads the body as text and records it in the log entry of that response. */
  async text(response: Response): Promise<string> {
    const body = await response.text();
    const entry = this.#entries.get(response);
    if (entry) entry.body = body;
    return body;
  }

  /**
   * GETs `url` and follows 3xx redirects (always with GET, like a browser after 302/303).
   * Returns the final response (body unread) and the visited URLs.
   */
  async follow(url: string | URL, options: FollowOptions = {}): Promise<FollowResult> {
    const first = await this.get(url);
    return this.followRedirects(first, new URL(url), options, [new URL(url).href]);
  }

  /** Continues from a response that may be a redirect (e.g. after a form POST). */
  async followRedirects(
    response: Response,
    from: string | URL,
    options: FollowOptions = {},
    visited: string[] = [],
  ): Promise<FollowResult> {
    const { max = 10, stopAt } = options;
    const urls = [...visited];
    let current = response;
    let currentUrl = new URL(from);
    for (let hops = 0; isRedirect(current.status); hops += 1) {
      const location = current.headers.get('location');
      if (!location) break;
      const next = new URL(location, currentUrl);
      // Drain (and record) the redirect body so the connection can be reused.
      if (!current.bodyUsed) await this.text(current);
      if (stopAt?.(next)) {
        return { response: current, urls, stoppedAt: next.href };
      }
      if (hops >= max) {
        throw new Error(`too many redirects (more than ${max}); visited: ${urls.join(' -> ')}`);
      }
      current = await this.get(next);
      currentUrl = next;
      urls.push(next.href);
    }
    return { response: current, urls };
  }

  /** The Cookie header value this browser would send to `url` ('' when none). */
  cookiesFor(url: string | URL): string {
    const target = new URL(url);
    return this.#matching(target)
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  /** The value of cookie `name` as it would be sent to `url`, if any. */
  cookie(url: string | URL, name: string): string | undefined {
    return this.#matching(new URL(url)).find((cookie) => cookie.name === name)?.value;
  }

  /** Forgets every cookie (like closing all windows of a private session). */
  clearCookies(): void {
    this.#jar.clear();
  }

  /** The whole log as one string, for `assert.doesNotMatch(browser.transcript(), /token/)`. */
  transcript(): string {
    return this.log
      .map((entry) =>
        [
          `${entry.method} ${entry.url}`,
          entry.requestBody ?? '',
          `${entry.status}`,
          ...Object.entries(entry.headers).map(([name, value]) => `${name}: ${value}`),
          entry.body ?? '',
        ].join('\n'),
      )
      .join('\n\n');
  }

  #matching(target: URL): StoredCookie[] {
    const now = Date.now();
    const cookies = this.#jar.get(target.host) ?? [];
    const live = cookies.filter((cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now);
    if (live.length !== cookies.length) this.#jar.set(target.host, live);
    const secureOk = target.protocol === 'https:' || LOOPBACK.has(target.hostname);
    return (
      live
        .filter((cookie) => pathMatches(target.pathname, cookie.path) && (!cookie.secure || secureOk))
        // RFC 6265 §5.4 step 2: longer paths first.
        .sort((a, b) => b.path.length - a.path.length)
    );
  }

  #store(target: URL, setCookies: string[]): void {
    if (setCookies.length === 0) return;
    const cookies = [...(this.#jar.get(target.host) ?? [])];
    for (const header of setCookies) {
      const parsed = parseSetCookie(header, target);
      if (!parsed) continue;
      const index = cookies.findIndex((cookie) => cookie.name === parsed.name && cookie.path === parsed.path);
      if (index !== -1) cookies.splice(index, 1);
      if (parsed.expiresAt === undefined || parsed.expiresAt > Date.now()) cookies.push(parsed);
    }
    this.#jar.set(target.host, cookies);
  }
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** RFC 6265 §5.2, minus Domain (host-only) and SameSite. */
function parseSetCookie(header: string, target: URL): StoredCookie | undefined {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    path: defaultPath(target.pathname),
    secure: false,
  };
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attribute of attributes) {
    const [rawKey = '', ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'path' && value.startsWith('/')) cookie.path = value;
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
    else if (key === 'expires') {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) expires = time;
    }
  }
  if (maxAge !== undefined) cookie.expiresAt = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000;
  else if (expires !== undefined) cookie.expiresAt = expires;
  return cookie;
}

/** RFC 6265 §5.1.4 default-path. */
function defaultPath(pathname: string): string {
  if (!pathname.startsWith('/')) return '/';
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

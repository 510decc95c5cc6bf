/**
 * A tiny "browser" for black-box integration tests: global fetch with a cookie jar.
 *
 * - Redirects are never followed implicitly (`redirect: 'manual'`); use {@link Browser.follow}.
 * - Cookies live in a tough-cookie jar (RFC 6265): per host, not per port, as in a real browser;
 *   `Secure` cookies are sent over https and to loopback hosts (as Chromium treats localhost as
 *   secure). `SameSite` is not modelled: there is no notion of the initiating site here.
 * - Every exchange is recorded in {@link Browser.log}; bodies are recorded when read through
 *   {@link Browser.text}, so a test can search everything the "browser" saw (e.g. for tokens).
 */
import { CookieJar } from 'tough-cookie';

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

/** A cookie-keeping HTTP client over global fetch. */
export class Browser {
  /** Everything this browser sent and received, in order. */
  readonly log: LogEntry[] = [];

  #jar = new CookieJar(undefined, { allowSecureOnLocal: true, rejectPublicSuffixes: false });
  readonly #entries = new WeakMap<Response, LogEntry>();
  readonly #userAgent: string | undefined;
  readonly #acceptLanguage: string | undefined;

  /**
   * `userAgent`: sent on every request (the app shows its browser family on the Sessions list).
   * `acceptLanguage`: sent on every request, as a browser set to that language would.
   */
  constructor(options: { userAgent?: string; acceptLanguage?: string } = {}) {
    this.#userAgent = options.userAgent;
    this.#acceptLanguage = options.acceptLanguage;
  }

  /** Sends a request with this browser's cookies; records and stores the response's cookies. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookieHeader = this.cookiesFor(target);
    if (cookieHeader && !headers.has('cookie')) headers.set('cookie', cookieHeader);
    if (this.#userAgent && !headers.has('user-agent')) headers.set('user-agent', this.#userAgent);
    if (this.#acceptLanguage && !headers.has('accept-language')) headers.set('accept-language', this.#acceptLanguage);

    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const header of response.headers.getSetCookie())
      this.#jar.setCookieSync(header, target.href, { ignoreError: true });

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
    return this.#jar.getCookieStringSync(new URL(url).href);
  }

  /** The value of cookie `name` as it would be sent to `url`, if any. */
  cookie(url: string | URL, name: string): string | undefined {
    return this.#jar.getCookiesSync(new URL(url).href).find((cookie) => cookie.key === name)?.value;
  }

  /** Copies `other`'s cookies for `url` into this browser (a second browser signed in at the same provider session). */
  copyCookies(other: Browser, url: string | URL): void {
    const href = new URL(url).href;
    for (const cookie of other.#jar.getCookiesSync(href)) this.#jar.setCookieSync(cookie, href);
  }

  /** Stores a cookie as if `url` had set it (`lang=ja; Path=/`). */
  setCookie(url: string | URL, cookie: string): void {
    this.#jar.setCookieSync(cookie, new URL(url).href);
  }

  /** Forgets every cookie (like closing all windows of a private session). */
  clearCookies(): void {
    this.#jar = new CookieJar(undefined, { allowSecureOnLocal: true, rejectPublicSuffixes: false });
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
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

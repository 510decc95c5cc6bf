/**
 * Pure rules of the /api proxy: where a request may go and which headers cross.
 *
 * Rules enforced here (draft-ietf-oauth-browser-based-apps §6.1.3.6: the BFF
 * MUST restrict proxied destinations and strictly validate dynamic paths):
 * - The target is one fixed origin and path prefix. The browser's path is
 *   appended as raw text and checked after parsing: `/api//evil.test/x`,
 *   encoded slashes or backslashes, dot segments (also encoded), NUL and other
 *   control characters are refused, so nothing can leave the origin or prefix.
 *   Java servlet containers (Tomcat, Jetty, Spring) strip `;parameters` from a
 *   segment before resolving dot segments, so `..;` and `..%3b` count as dot
 *   segments too; and any `%25` (an encoded `%`) is refused, because a second
 *   decoder behind us would turn `%252e%252e` into `..` (OWASP WSTG-INPV-12,
 *   "double encoding").
 * - Request headers: credentials (`Cookie`, `Authorization`), our CSRF header,
 *   every `Forwarded`/`X-Forwarded-*`/client-IP header in any spelling
 *   (`_` counts as `-`: CVE-2025-64484), and hop-by-hop headers (RFC 9110 §7.6.1)
 *   stay here. The only credential sent upstream is our token (with our own `DPoP` proof when
 *   it is DPoP-bound: a browser's `DPoP` header stays here too).
 * - Methods: TRACE, TRACK and CONNECT are refused (405).
 * - Response headers: `Cache-Control: no-store` unless the API said `private`,
 *   and `Vary: Cookie`, so no shared cache hands one user's answer to another; no `Set-Cookie` (the upstream must not set cookies on our
 *   origin), no `Clear-Site-Data` or `Refresh`, no CORS headers, no hop-by-hop headers; redirects are passed back
 *   to the browser, never followed, and a `Location` outside the prefix is dropped.
 */
import { AppError } from '../errors.js';

const FORBIDDEN_IN_PATH = /[\u0000-\u001f\u007f\\]|%(?:2f|5c|00)/i;
/** Only in the path: an encoded `%` there is double encoding; in the query it is ordinary data (`10%25`). */
const DOUBLE_ENCODED = /%25/i;

class InvalidApiPathError extends AppError {
  constructor() {
    super(400, 'invalid_path', 'errors:message.invalid_api_path');
  }
}

/**
 * Maps the raw `/api/…` request target (path + query, undecoded) to the upstream URL.
 * `mountPath`: where the API is mounted (`/api/`, or a named API's `/api/<name>/`).
 */
export function mapApiTarget(originalUrl: string, base: URL, mountPath = '/api/'): URL {
  if (!originalUrl.startsWith(mountPath)) throw new InvalidApiPathError();
  const rest = originalUrl.slice(mountPath.length);
  const queryStart = rest.indexOf('?');
  const rawPath = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : rest.slice(queryStart);
  if (
    rawPath === '' ||
    FORBIDDEN_IN_PATH.test(rawPath) ||
    DOUBLE_ENCODED.test(rawPath) ||
    FORBIDDEN_IN_PATH.test(rawQuery.replace(/%2f|%5c/gi, ''))
  ) {
    throw new InvalidApiPathError();
  }
  // Empty segments (`//`) can turn into an authority; dot segments climb out of the prefix.
  if (rawPath.startsWith('/') || rawPath.includes('//')) throw new InvalidApiPathError();
  for (const segment of rawPath.split('/')) {
    let decoded = segment;
    if (segment.includes('%')) {
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        throw new InvalidApiPathError();
      }
    }
    if (isDotSegment(decoded)) throw new InvalidApiPathError();
  }
  const target = new URL(base.origin + base.pathname + rawPath + rawQuery);
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) throw new InvalidApiPathError();
  return target;
}

/** `.` or `..`, also with servlet path parameters after it (`..;x=1`), which Java containers strip first. */
function isDotSegment(decoded: string): boolean {
  const semicolon = decoded.indexOf(';');
  const name = semicolon === -1 ? decoded : decoded.slice(0, semicolon);
  return name === '.' || name === '..';
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const NEVER_UPSTREAM = new Set([
  'host',
  'cookie',
  'cookie2',
  'authorization',
  // RFC 9449 §4.1: a proof is ours to make; one from the browser must not ride along with our token.
  'dpop',
  'x-csrf',
  'forwarded',
  'via',
  // Client-address and original-URL headers: an API that believes them could be told a false client
  // address or a different path than the one it was asked for (the forwarded-header spoofing of
  // OWASP WSTG-CONF-05 and the X-Original-URL / X-Rewrite-URL bypasses of IIS and Symfony).
  'x-forwarded',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'x-originating-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'x-host',
  'x-http-method-override',
  'x-method-override',
  'origin',
  'referer',
  // `Expect: 100-continue` is between the browser and us (RFC 9110 §10.1.1); Node has already answered it.
  'expect',
]);

/** Normalizes a header name the way lenient servers do: lower case, `_` read as `-`. */
function canonical(name: string): string {
  // Node and undici already lower-case header names; only `_` needs folding.
  const lower = name.toLowerCase();
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

/** Header names the `Connection` header lists as hop-by-hop (RFC 9110 §7.6.1); undefined when none. */
function connectionListed(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return undefined;
  const listed = new Set<string>();
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const token of value.split(',')) if (token.trim()) listed.add(canonical(token.trim()));
  }
  return listed;
}

/** Request headers to send upstream; the caller adds `Authorization`. */
export function upstreamRequestHeaders(
  incoming: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const listed = connectionListed(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined) continue;
    const key = canonical(name);
    if (HOP_BY_HOP.has(key) || NEVER_UPSTREAM.has(key) || listed?.has(key)) continue;
    if (key.startsWith('x-forwarded-') || key.startsWith('proxy-')) continue;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * Response headers an API must not send to the browser under our origin:
 * `Clear-Site-Data` would wipe our cookies and storage (W3C Clear Site Data
 * §3.1), `Refresh` is a redirect we would not check like `Location`. `DPoP-Nonce`
 * is for the proxy, which makes the proofs (RFC 9449 §9), not for the browser.
 */
const NEVER_DOWNSTREAM = new Set(['set-cookie', 'set-cookie2', 'clear-site-data', 'refresh', 'dpop-nonce']);

/** Methods never proxied: TRACE/TRACK echo the request, credentials included (cross-site tracing); CONNECT opens a tunnel. */
const REFUSED_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);

class MethodNotAllowedError extends AppError {
  constructor() {
    super(405, 'method_not_allowed', 'errors:message.method_not_allowed');
  }
}

/** Throws `405 method_not_allowed` for a method the proxy never forwards. */
export function assertProxyableMethod(method: string | undefined): void {
  if (method === undefined || REFUSED_METHODS.has(method.toUpperCase())) throw new MethodNotAllowedError();
}

/** Response headers to pass back to the browser. */
export function downstreamResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  base: URL,
  mountPath = '/api/',
): Record<string, string | string[]> {
  const listed = connectionListed(upstream.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    const key = canonical(name);
    if (HOP_BY_HOP.has(key) || listed?.has(key)) continue;
    if (key.startsWith('access-control-') || NEVER_DOWNSTREAM.has(key) || key === 'cache-control' || key === 'vary') {
      continue;
    }
    if (key === 'location') {
      const mapped = mapLocation(String(value), base, mountPath);
      if (mapped) out.location = mapped;
      continue;
    }
    out[name.toLowerCase()] = value;
  }
  Object.assign(out, proxiedCacheHeaders(upstream['cache-control'], upstream.vary));
  return out;
}

/** `private` or `no-store` as a directive of a Cache-Control value: shared caches will not store it. */
const NOT_SHARED = /(?:^|,)\s*(?:private|no-store)\s*(?:[,=]|$)/i;

/**
 * Caching of a proxied API answer, the API-side twin of the pages' `noStore`
 * (web/security-headers.ts; RFC 9111 §5.2.2.3, ASVS 14.3.2): `no-store`, unless the API itself
 * said `private` or `no-store` (a `private, max-age=30` answer may stay in the
 * user's own browser cache for 30 s; RFC 9111 §5.2.2.7); `Cookie` joins its `Vary`.
 */
function proxiedCacheHeaders(
  cacheControl: string | string[] | undefined,
  vary: string | string[] | undefined,
): { 'cache-control': string; vary: string } {
  const control = Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl;
  const varies = Array.isArray(vary) ? vary.join(', ') : vary;
  return {
    'cache-control': control && NOT_SHARED.test(control) ? control : 'no-store',
    vary: !varies ? 'Cookie' : varies.trim() === '*' || /\bcookie\b/i.test(varies) ? varies : `${varies}, Cookie`,
  };
}

/** An upstream redirect inside the prefix becomes the matching /api path; anything else is dropped. */
function mapLocation(location: string, base: URL, mountPath: string): string | undefined {
  try {
    const url = new URL(location, base);
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return undefined;
    return `${mountPath}${url.pathname.slice(base.pathname.length)}${url.search}`;
  } catch {
    return undefined;
  }
}

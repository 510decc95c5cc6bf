/**
 * CSRF defences.
 *
 * - `/api/*`: every request must carry `X-CSRF: 1`. A cross-site page can only
 *   send a custom header after a CORS preflight, and we never answer one with
 *   CORS headers, so the header proves the request came from our own pages
 *   (draft-ietf-oauth-browser-based-apps §6.1.3.3.2; Duende BFF does the same).
 * - Forms (POST /logout): a per-session token in a hidden field, plus a
 *   same-origin check on `Sec-Fetch-Site`/`Origin` (OWASP CSRF cheat sheet).
 *   The SameSite=Lax cookie is a third layer: it is not sent on cross-site POSTs.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { CsrfCheckFailedError, CsrfHeaderMissingError } from '../errors.js';

export const CSRF_HEADER = 'x-csrf';

/** The rule for API calls, pages and fast path alike: the request carries `X-CSRF: 1`. */
export function hasCsrfHeader(req: IncomingMessage): boolean {
  return req.headers[CSRF_HEADER] === '1';
}

export const requireCsrfHeader: RequestHandler = (req, _res, next) => {
  next(hasCsrfHeader(req) ? undefined : new CsrfHeaderMissingError());
};

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function requireSameOriginForm(appOrigin: string): RequestHandler {
  return (req, _res, next) => {
    if (!cameFromOurOrigin(req.headers, appOrigin) || !formTokenMatches(req.session?.csrfToken, req.body)) {
      next(new CsrfCheckFailedError());
      return;
    }
    next();
  };
}

/**
 * Fetch Metadata first: browsers that send `Sec-Fetch-Site` tell us exactly
 * where the request came from. Without it, fall back to `Origin`. Chromium
 * sends `Origin: null` on same-origin form posts when the page's
 * Referrer-Policy is `no-referrer` (ours is), so "null" alone proves nothing
 * either way; the form token still has to match.
 */
export function cameFromOurOrigin(headers: Record<string, string | string[] | undefined>, appOrigin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = headers.origin;
  return typeof origin !== 'string' || origin === 'null' || origin === appOrigin;
}

function formTokenMatches(expected: string | undefined, body: unknown): boolean {
  const given = (body as Record<string, unknown> | undefined)?.csrf;
  return typeof expected === 'string' && typeof given === 'string' && sameToken(given, expected);
}

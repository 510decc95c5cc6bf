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
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

export const CSRF_HEADER = 'x-csrf';

export const requireCsrfHeader: RequestHandler = (req, _res, next) => {
  if (req.headers[CSRF_HEADER] !== '1') {
    next(new AppError(403, 'csrf_header_missing', 'API calls must carry the header "X-CSRF: 1".'));
    return;
  }
  next();
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
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const crossSite = (typeof site === 'string' && site !== 'same-origin' && site !== 'none')
      || (typeof origin === 'string' && origin !== appOrigin);
    const expected = req.session?.csrfToken;
    const given = (req.body as Record<string, unknown> | undefined)?.csrf;
    if (crossSite || !expected || typeof given !== 'string' || !sameToken(given, expected)) {
      next(new AppError(403, 'csrf_check_failed', 'This form was not submitted from this site, or it has expired. Please try again.'));
      return;
    }
    next();
  };
}

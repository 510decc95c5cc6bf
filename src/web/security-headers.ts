/**
 * HTTP security headers (helmet) with a per-response CSP nonce.
 *
 * - `script-src` allows only our own files and scripts carrying this response's
 *   nonce; `object-src 'none'`, `base-uri 'none'`, `frame-ancestors 'none'`.
 * - `form-action` must also allow the provider's origin: POST /logout answers
 *   with a redirect to the provider's end-session endpoint, and Chromium applies
 *   form-action to redirects after a form submission (CSP Level 3 §6.3.3,
 *   https://www.w3.org/TR/CSP3/#directive-form-action).
 * - `Referrer-Policy: no-referrer` keeps the callback's code out of Referer
 *   headers (RFC 9700 §4.2.4).
 * - HSTS only when we are served over https.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export function securityHeaders(options: { providerOrigins: readonly string[]; https: boolean }): RequestHandler[] {
  const nonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  };
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: [
          "'self'",
          (_req, res) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`,
        ],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'", ...options.providerOrigins],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  return [nonce, headers];
}

/** Responses that depend on the session must never be cached (RFC 9700 §4.16 spirit, ASVS 14.3.2). */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

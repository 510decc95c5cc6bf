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

type HelmetOptions = Parameters<typeof helmet>[0];

/** The headers every answer carries, pages and API alike (helmet's defaults, tightened). */
function commonOptions(https: boolean) {
  return {
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' as const },
    crossOriginResourcePolicy: { policy: 'same-origin' as const },
    xFrameOptions: { action: 'deny' as const },
  } satisfies HelmetOptions;
}

/** Pages: the common headers plus a CSP whose `script-src` carries this response's nonce. */
export function securityHeaders(options: { providerOrigins: readonly string[]; https: boolean }): RequestHandler[] {
  const nonce: RequestHandler = (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  };
  const headers = helmet({
    ...commonOptions(options.https),
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
  });
  return [nonce, headers];
}

/**
 * API answers (the /api fast path): the common headers that protect a response
 * which is not a page, computed once by running helmet against a recording
 * response, as a flat `[name, value, …]` list the proxy sends in one
 * `writeHead`. A JSON answer needs no nonce: its CSP forbids everything, in
 * case a browser is ever made to render one. Left out are the headers that only
 * act on a document a browser displays (OWASP REST Security Cheat Sheet,
 * "Security Headers": https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html#security-headers):
 * the opener policy and origin-keyed agent clusters (browsing contexts), DNS
 * prefetching of a page's links, Internet Explorer's download prompt and XSS
 * auditor, and Flash/PDF cross-domain policies. Every header costs each
 * response its validation and bytes on the hottest path (docs/benchmark.md).
 */
export function apiSecurityHeaders(https: boolean): readonly string[] {
  const recorded: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void recorded.push(name, String(value)),
    removeHeader: () => undefined,
  };
  const run = helmet({
    ...commonOptions(https),
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }) as unknown as (req: object, res: typeof recorder, next: () => void) => void;
  run({}, recorder, () => undefined);
  return Object.freeze(recorded);
}

/**
 * Caching of answers that depend on the session (RFC 9111 §5.2.2.3 and §4.1,
 * ASVS 14.3.2): `Cache-Control: no-store`, so no shared cache or CDN in front
 * of the app can hand one user's page or API answer to another, and
 * `Vary: Cookie` for any cache that ignores the first.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.vary('Cookie');
  next();
};

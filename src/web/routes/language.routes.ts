/**
 * POST /language: the header's language switch. Sets the `lang` preference
 * cookie and sends the browser back to the page it was on.
 *
 * - Where it goes back to is checked by the same rule as the login's
 *   `returnTo` (oidc/return-to.ts): a same-origin relative path, or `/`.
 * - A form post, not a link, because it changes state (a cookie). Its CSRF
 *   defence is the same-origin check of every form (web/csrf.ts). It carries no
 *   form token: there is no session before login, and the switch must work
 *   there too. A browser that sends neither `Sec-Fetch-Site` nor `Origin`
 *   cannot be told apart, and all a forged post could do is change the display
 *   language.
 * - The cookie is not the session: HttpOnly (only the server reads it),
 *   SameSite=Lax, Secure over https, kept a year (RFC 6265bis §4.1.2).
 */
import express, { Router } from 'express';
import type { AppDeps } from '../../services.js';
import { AppError, CsrfCheckFailedError } from '../../errors.js';
import { isLanguage, LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE_SECONDS } from '../../i18n/languages.js';
import { safeReturnTo } from '../../oidc/return-to.js';
import { cameFromOurOrigin } from '../csrf.js';

export function languageRoutes({ config }: Pick<AppDeps, 'config'>): Router {
  const router = Router();
  router.post('/language', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 4 }), (req, res) => {
    if (!cameFromOurOrigin(req.headers, config.baseUrl.origin)) {
      throw new CsrfCheckFailedError();
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!isLanguage(body['lang'])) {
      throw new AppError(400, 'unsupported_language', 'errors:message.unsupported_language');
    }
    res.cookie(LANGUAGE_COOKIE, body['lang'], {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: config.session.secureCookie,
      maxAge: LANGUAGE_COOKIE_MAX_AGE_SECONDS * 1000,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, safeReturnTo(body['returnTo']));
  });
  return router;
}

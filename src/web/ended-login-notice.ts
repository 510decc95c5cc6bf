/**
 * A browser whose login was ended from elsewhere learns why on its next page:
 * the user is forgotten and the page says "you were signed out at your
 * identity provider" (back-channel logout) or "signed out from another
 * device" (the Sessions list), instead of a silent bounce to the login page.
 * The page also shows how the login ended, as the flow inspector's last step
 * (flow/timeline.ts `describeEnding`): this is the one page that browser is
 * sure to see, since /flow needs a login and a new login starts a new log.
 *
 * API calls need no check here: the login's tokens are gone, so /api answers
 * 401 `login_required` on its own; the notice still waits for the next page.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { describeEnding } from '../flow/timeline.js';
import { clearUser } from '../session/session-data.js';
import type { LoginEnding, LoginIndex } from '../tokens/login-index.js';
import { wantsJson } from './error-handler.js';
import type { Translate } from '../i18n/catalogues.js';

/** The error code of each way a login ends from elsewhere; the message is `errors:message.<code>`. */
const NOTICES = {
  provider: 'signed_out_at_provider',
  user: 'signed_out_elsewhere',
} as const;

class SignedOutElsewhereError extends AppError {
  constructor(ending: LoginEnding) {
    const code = NOTICES[ending.by];
    super(401, code, `errors:message.${code}`);
    this.name = 'SignedOutElsewhereError';
  }
}

export function endedLoginNotice(logins: LoginIndex): RequestHandler {
  return async (req, res, next) => {
    // Only a session that has logged in can have been ended (the CSRF token is set at login and
    // survives an /api call that already found the login gone), so anonymous visits cost no lookup.
    const ending = req.session?.csrfToken ? await logins.takeEnded(req.sessionID) : undefined;
    if (!ending) {
      next();
      return;
    }
    clearUser(req.session);
    res.locals.user = null;
    if (wantsJson(req)) {
      next(new SignedOutElsewhereError(ending));
      return;
    }
    const code = NOTICES[ending.by];
    const t = res.locals.t as Translate;
    res.setHeader('Cache-Control', 'no-store');
    res.status(401).render('signed-out', {
      heading: t('errors:heading.signed_out'),
      message: t(`errors:message.${code}`),
      code,
      step: describeEnding(t, ending),
    });
  };
}

/**
 * A browser whose login the provider ended (back-channel logout) learns why on
 * its next page: the user is forgotten and the page says "you were signed out
 * at your identity provider", instead of a silent bounce to the login page.
 * API calls need no check here: the login's tokens are gone, so /api answers
 * 401 `login_required` on its own; the notice still waits for the next page.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { clearUser } from '../session/session-data.js';
import type { LoginIndex } from '../tokens/login-index.js';

class SignedOutAtProviderError extends AppError {
  constructor() {
    super(
      401,
      'signed_out_at_provider',
      'You were signed out at your identity provider, so you are signed out here too. Log in again to continue.',
    );
    this.name = 'SignedOutAtProviderError';
  }
}

export function endedAtProvider(logins: LoginIndex): RequestHandler {
  return async (req, _res, next) => {
    // Only a session that has logged in can have been ended (the CSRF token is set at login and
    // survives an /api call that already found the login gone), so anonymous visits cost no lookup.
    if (!req.session?.csrfToken || !(await logins.takeEndedAtProvider(req.sessionID))) {
      next();
      return;
    }
    clearUser(req.session);
    next(new SignedOutAtProviderError());
  };
}

/**
 * POST /sessions/end and POST /sessions/end-all: the "Sessions" section of the
 * profile page. A user ends one of their logins on another device, or all of
 * them ("sign out of all devices"); each ended login's tokens are deleted and
 * its refresh token revoked (tokens/end-logins.ts), and its browser is told
 * on its next page (web/ended-login-notice.ts).
 *
 * Forms like POST /logout: a per-session form token and a same-origin check
 * (web/csrf.ts). A login is named by its handle (tokens/user-logins.ts), and
 * only the asking user's own logins can match one: a handle of anyone else's
 * login ends nothing and answers 404.
 */
import express, { Router } from 'express';
import type { AppDeps } from '../../services.js';
import { AppError } from '../../errors.js';
import { endLoginsOfUser } from '../../tokens/end-logins.js';
import { loginHandle } from '../../tokens/user-logins.js';
import { browserFamily } from '../browser-family.js';
import { requireSameOriginForm } from '../csrf.js';
import { requireLogin } from '../require-login.js';
import { noStore } from '../security-headers.js';
import { signOutHere } from '../sign-out.js';

class SessionNotFoundError extends AppError {
  constructor() {
    super(404, 'session_not_found', 'errors:message.session_not_found');
    this.name = 'SessionNotFoundError';
  }
}

export function sessionsRoutes(deps: AppDeps): Router {
  const { config, logins, tokens, logger } = deps;
  const router = Router();
  const form = [
    noStore,
    express.urlencoded({ extended: false, limit: '2kb' }),
    requireSameOriginForm(config.baseUrl.origin),
    requireLogin,
  ];
  const endDeps = { logins, tokens, noticeTtlSeconds: config.session.absoluteSeconds };

  router.post('/sessions/end', ...form, async (req, res) => {
    const handle = (req.body as Record<string, unknown>).login;
    if (typeof handle !== 'string' || handle === '') throw new SessionNotFoundError();
    // This browser's own login: the same as the Log out button.
    if (handle === loginHandle(req.sessionID)) {
      await signOutHere(req, res, deps);
      return;
    }
    const asking = { sessionId: req.sessionID, browser: browserFamily(req.get('user-agent')) };
    const sub = req.session.user?.sub ?? '';
    const { ended, revoked } = await endLoginsOfUser(sub, { handle }, asking, endDeps);
    if (ended === 0) throw new SessionNotFoundError();
    logger.info({ ended, revoked }, 'sessions: a login ended by its user');
    res.redirect(303, '/profile#sessions');
  });

  router.post('/sessions/end-all', ...form, async (req, res) => {
    const asking = { sessionId: req.sessionID, browser: browserFamily(req.get('user-agent')) };
    const sub = req.session.user?.sub ?? '';
    const { ended, revoked } = await endLoginsOfUser(sub, 'all', asking, endDeps);
    logger.info({ ended, revoked }, 'sessions: signed out of all devices');
    // Then this browser, the way the Log out button does it.
    await signOutHere(req, res, deps);
  });

  return router;
}

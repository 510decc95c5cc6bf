/**
 * POST /backchannel-logout: the provider tells us a user's session ended there
 * (OpenID Connect Back-Channel Logout 1.0 §2.5). Called server to server, so it
 * needs no cookie and no CSRF proof; the signed logout token is the proof.
 * Mounted before the session middleware: it never creates a session.
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import type { AppDeps } from '../../services.js';
import { endLoginsNamedBy } from '../../tokens/end-logins.js';
import {
  logoutTokenCheckFor,
  LogoutTokenError,
  providerKeys,
  verifyLogoutToken,
} from '../../oidc/backchannel-logout.js';
import { logError, sendJsonError, toAppError } from '../error-handler.js';
import { rateLimiter } from '../rate-limit.js';
import type { Logger } from '../../logger.js';

const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';

export function backchannelLogoutRoutes({
  config,
  provider,
  replayCache,
  logins,
  tokens,
  logger,
  rateLimits,
}: AppDeps): Router {
  const router = Router();
  // The provider is one address sending every user's logouts: the API budget, not the sign-in one.
  const limit = rateLimiter(rateLimits, {
    name: 'backchannel-logout',
    perMinute: config.rateLimit.apiPerMinute,
    key: 'ip',
  }).middleware;

  router.post(
    BACKCHANNEL_LOGOUT_PATH,
    limit,
    // §2.5: the logout token arrives as `application/x-www-form-urlencoded`; nothing else is read.
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res) => {
      if (!req.is('application/x-www-form-urlencoded')) {
        throw new LogoutTokenError('wrong_content_type');
      }
      const configuration = provider.get();
      const check = logoutTokenCheckFor(configuration, config.oidc.clientId, replayCache, providerKeys(configuration));
      const request = await verifyLogoutToken((req.body as Record<string, unknown>).logout_token, check);
      const { ended, revoked } = await endLoginsNamedBy(request, {
        logins,
        tokens,
        noticeTtlSeconds: config.session.absoluteSeconds,
      });
      // Which claims matched, never their values.
      logger.info(
        { bySid: request.sid !== undefined, bySub: request.sub !== undefined, ended, revoked },
        'back-channel logout: logins ended',
      );
      // §2.8: success is 200; the answer must not be cached.
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).end();
    },
  );

  router.use(BACKCHANNEL_LOGOUT_PATH, jsonErrors(logger));
  return router;
}

/** Every failure here is JSON (§2.8), whatever the caller's Accept header says. */
function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = toAppError(err);
    logError((req as { log?: Logger }).log ?? logger, known, err);
    sendJsonError(req, res, known);
  };
}

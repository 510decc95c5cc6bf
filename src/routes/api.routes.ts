/**
 * `/api/*`: the browser's API calls, proxied with the session's access token.
 * `/session/*`: the BFF's own small JSON endpoints for the pages' scripts.
 *
 * Order matters: rate limit, then the CSRF header (so a forged call never
 * reaches the upstream or even the token store), then the login check.
 */
import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { AppError, LoginRequiredError } from '../errors.js';
import { requireCsrfHeader } from '../middleware/csrf.js';
import { apiRateLimit } from '../middleware/rate-limit.js';
import { requireLogin } from '../middleware/require-login.js';
import { noStore } from '../middleware/security-headers.js';
import type { ApiProxy } from '../proxy/api-proxy.js';

export function apiRoutes({ config, tokens, flowLog }: AppDeps, proxy: ApiProxy): Router {
  const router = Router();
  const limit = apiRateLimit(config.rateLimit.apiPerMinute);

  router.all('/api/*path', limit, requireCsrfHeader, requireLogin, proxy.handle);
  router.all('/api', (_req, _res, next) => next(new AppError(404, 'not_found', 'Name an API path: /api/<path>.')));

  // Session status for the pages' scripts: claims and timings, never a token (BFF draft §6.1.2.4).
  router.get('/session/info', noStore, requireCsrfHeader, requireLogin, async (req, res) => {
    const held = await tokens.peek(req.sessionID);
    if (!held) throw new LoginRequiredError();
    const events = await flowLog.list(req.sessionID);
    res.json({
      user: { sub: req.session.user?.sub, name: req.session.user?.name },
      accessToken: { expiresAt: held.expiresAt, lifetimeSeconds: held.lifetimeSeconds, version: held.version },
      refreshes: events
        .filter((e) => e.type === 'refresh' || e.type === 'refresh_failed')
        .map((e) => ({ at: e.at, type: e.type, ...e.data })),
    });
  });

  // "Refresh now" for developers studying the flow; POST + X-CSRF like every state change.
  router.post('/session/refresh', noStore, requireCsrfHeader, requireLogin, async (req, res) => {
    const held = await tokens.getTokens(req.sessionID, { force: 'manual' });
    res.json({ refreshed: true, accessToken: { expiresAt: held.expiresAt, lifetimeSeconds: held.lifetimeSeconds, version: held.version } });
  });

  return router;
}

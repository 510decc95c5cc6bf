/**
 * `/session/*`: the BFF's own small JSON endpoints for the pages' scripts
 * (the `/api/*` proxy itself runs in front of Express: web/api-gateway.ts).
 * Like `/api`, they are rate-limited and require the `X-CSRF: 1` header and a login.
 */
import { Router } from 'express';
import type { AppDeps } from '../../services.js';
import { LoginRequiredError } from '../../errors.js';
import { requireCsrfHeader } from '../csrf.js';
import { rateLimiter } from '../rate-limit.js';
import { requireLogin } from '../require-login.js';
import { noStore } from '../security-headers.js';
import { apiTokenStatuses } from '../../tokens/api-token-status.js';

export function sessionApiRoutes({ config, tokens, flowLog, rateLimits }: AppDeps): Router {
  const router = Router();
  // The same per-client budget as /api calls: these are API calls from the pages.
  const limit = rateLimiter(rateLimits, {
    name: 'session-api',
    perMinute: config.rateLimit.apiPerMinute,
    key: 'session-or-ip',
  }).middleware;

  // Session status for the pages' scripts: claims and timings, never a token (BFF draft §6.1.2.4).
  // `accessToken` is the default API's token; `apis` says the same for every configured API.
  router.get('/session/info', noStore, limit, requireCsrfHeader, requireLogin, async (req, res) => {
    const held = await tokens.peek(req.sessionID);
    if (!held) throw new LoginRequiredError();
    const events = await flowLog.list(req.sessionID);
    res.json({
      user: { sub: req.session.user?.sub, name: req.session.user?.name },
      accessToken: { expiresAt: held.expiresAt, lifetimeSeconds: held.lifetimeSeconds, version: held.version },
      apis: apiTokenStatuses(config.apis, held),
      refreshes: events
        .filter((e) => e.type === 'refresh' || e.type === 'refresh_failed')
        .map((e) => ({ at: e.at, type: e.type, ...e.data })),
    });
  });

  // "Refresh now" for developers studying the flow; POST + X-CSRF like every state change.
  router.post('/session/refresh', noStore, limit, requireCsrfHeader, requireLogin, async (req, res) => {
    const held = await tokens.getTokens(req.sessionID, { force: 'manual' });
    res.json({
      refreshed: true,
      accessToken: { expiresAt: held.expiresAt, lifetimeSeconds: held.lifetimeSeconds, version: held.version },
    });
  });

  return router;
}

/**
 * createApp(deps): the app's request listener: the /api gateway for API calls,
 * the Express app (in request order below) for everything else. It never
 * listens, so tests and server.ts share it.
 */
import path from 'node:path';
import type { RequestListener } from 'node:http';
import type { AppDeps } from '../services.js';
import express from 'express';
import { PROJECT_ROOT } from '../paths.js';
import { requestLogger } from './request-log.js';
import { errorHandler, forgetEndedLogin, notFound } from './error-handler.js';
import { securityHeaders } from './security-headers.js';
import { refuseWhileStopping } from './shutdown.js';
import { createApiGateway, isApiPath } from './api-gateway.js';
import { sessionApiRoutes } from './routes/session.routes.js';
import { authRoutes } from './routes/auth.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { backchannelLogoutRoutes } from './routes/backchannel-logout.routes.js';
import { m2mRoutes } from './routes/m2m.routes.js';
import { jwksRoutes } from './routes/jwks.routes.js';
import { pageRoutes } from './routes/pages.routes.js';
import { absoluteTimeout, sessionMiddleware } from '../session/session-middleware.js';
import { endedLoginNotice } from './ended-login-notice.js';
import { sessionsRoutes } from './routes/sessions.routes.js';
import { languageRoutes } from './routes/language.routes.js';
import { localize } from './localization.js';

/** The header's links; each label is the catalogue key `common:nav.<key>`. */
const NAV = [
  { key: 'home', href: '/' },
  { key: 'profile', href: '/profile' },
  { key: 'console', href: '/console' },
  { key: 'm2m', href: '/m2m' },
  { key: 'flow', href: '/flow' },
  { key: 'tokens', href: '/tokens' },
] as const;

export function createApp(deps: AppDeps): RequestListener {
  const { config, logger } = deps;
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', path.join(PROJECT_ROOT, 'views'));
  app.disable('x-powered-by');

  // Logs first, so every response is logged (paths only, never queries or credentials).
  app.use(requestLogger(logger));
  app.use(
    securityHeaders({ providerOrigins: [config.oidc.issuer.origin], https: config.baseUrl.protocol === 'https:' }),
  );
  app.use('/static', express.static(path.join(PROJECT_ROOT, 'public'), { maxAge: '1h', index: false }));

  // Probes need no session, and keep answering while the process stops.
  app.use(healthRoutes(deps));
  app.use(refuseWhileStopping(deps.lifecycle));
  // Server to server, before sessions: it must never create one.
  app.use(backchannelLogoutRoutes(deps));
  app.use(jwksRoutes(deps));

  // What every page's layout needs, set before anything can fail (the error page uses it too).
  app.use((req, res, next) => {
    localize(req, res);
    res.locals.user = null;
    res.locals.csrfToken = '';
    res.locals.demoMode = config.demo !== null;
    res.locals.nav = NAV;
    res.locals.active = '';
    next();
  });

  // Before sessions: the language switch works without one, even while the session store is down.
  app.use(languageRoutes(deps));

  app.use(sessionMiddleware(config.session, deps.sessionStore));
  app.use(
    absoluteTimeout(config.session.absoluteSeconds, async (sessionId) => {
      await deps.tokens.endLogin(sessionId);
    }),
  );
  app.use((req, res, next) => {
    // The session's idle timeout rolls on every request (express-session `rolling`); its tokens roll with it.
    if (req.session.user) void deps.tokens.keepAlive(req.sessionID);
    res.locals.user = req.session.user ?? null;
    res.locals.csrfToken = req.session.csrfToken ?? '';
    next();
  });

  app.use(sessionApiRoutes(deps));
  app.use(authRoutes(deps));
  // After the sign-in routes: /login and /callback replace an ended login themselves.
  app.use(endedLoginNotice(deps.logins));
  app.use(pageRoutes(deps));
  app.use(sessionsRoutes(deps));
  app.use(m2mRoutes(deps));

  app.use(notFound);
  app.use(forgetEndedLogin);
  app.use(errorHandler(logger));

  // `/api/*` is the hot path: it runs in front of Express (see web/api-gateway.ts).
  const api = createApiGateway(deps);
  return (req, res) => (isApiPath(req.url) ? api(req, res) : app(req, res));
}

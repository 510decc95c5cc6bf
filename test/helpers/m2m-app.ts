/**
 * Serves `m2mRoutes` on a running test stack's app server until src/app.ts
 * mounts them itself: requests to `/m2m*` go to a small app with the same
 * middleware chain as createApp (security headers, session, page locals,
 * error handler) and the same services, everything else to the stack's app.
 * Sessions made by the stack's /login and /callback are therefore valid here.
 */
import type { RequestListener } from 'node:http';
import path from 'node:path';
import express from 'express';
import { PROJECT_ROOT } from '../../src/app.js';
import { errorHandler, notFound } from '../../src/middleware/error-handler.js';
import { securityHeaders } from '../../src/middleware/security-headers.js';
import type { ClientCredentialsProvider } from '../../src/m2m/client-credentials.js';
import { m2mRoutes } from '../../src/routes/m2m.routes.js';
import { sessionMiddleware } from '../../src/session/session-middleware.js';
import type { Stack } from './stack.js';

const NAV = [
  { key: 'home', href: '/', label: 'Home' },
  { key: 'm2m', href: '/m2m', label: 'Machine-to-machine' },
];

export interface M2mMount {
  /** Swaps the token provider behind the routes (`null`: M2M not configured). */
  use(m2m: ClientCredentialsProvider | null): void;
}

export function mountM2mRoutes(stack: Stack, m2m: ClientCredentialsProvider | null): M2mMount {
  const { config, logger, sessionStore } = stack.services;
  const [original] = stack.appServer.listeners('request') as RequestListener[];
  if (!original) throw new Error('the stack has no app listener');

  const build = (provider: ClientCredentialsProvider | null): express.Express => {
    const app = express();
    app.set('view engine', 'ejs');
    app.set('views', path.join(PROJECT_ROOT, 'views'));
    app.use(securityHeaders({ providerOrigins: [config.oidc.issuer.origin], https: false }));
    app.use(sessionMiddleware(config.session, sessionStore));
    app.use((req, res, next) => {
      res.locals.user = req.session.user ?? null;
      res.locals.csrfToken = req.session.csrfToken ?? '';
      res.locals.demoMode = config.demo !== null;
      res.locals.nav = NAV;
      res.locals.active = '';
      next();
    });
    app.use(m2mRoutes({ ...stack.services, m2m: provider }));
    app.use(notFound);
    app.use(errorHandler(logger));
    return app;
  };

  let page = build(m2m);
  stack.appServer.removeAllListeners('request');
  stack.appServer.on('request', (req, res) => {
    if (req.url === '/m2m' || req.url?.startsWith('/m2m/') || req.url?.startsWith('/m2m?')) page(req, res);
    else original(req, res);
  });
  return {
    use(provider) {
      page = build(provider);
    },
  };
}

/**
 * Benchmark process L (bench only, `npm run bench -- --layers`): what each
 * layer of the app adds to a proxied `GET /api/me`, measured by building the
 * request pipeline up one layer at a time from the app's own pieces (the real
 * logger, helmet settings, session middleware and store, rate limiter, CSRF
 * check, login check and ApiProxy), each variant on its own loopback port, all
 * in this one process so `process.cpuUsage()` compares like with like.
 *
 * This re-composes src/web/app.ts by hand: the `full app` row is the real
 * createApp(), and the gap between it and the last partial row is everything
 * not rebuilt here (health and static routes, page locals, absolute timeout).
 *
 * IPC: `cpu`, `setSession` (the logged-in session id, for the variants without
 * express-session), `slimSession` (a copy of that session without the ID-token
 * claims and login trace, under a new id; returns its signed cookie).
 */
import type { RequestListener } from 'node:http';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import { createApp } from '../../src/web/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createListeningServer } from '../../src/http-server.js';
import { createLogger } from '../../src/logger.js';
import { requestLogger } from '../../src/web/request-log.js';
import { requireCsrfHeader } from '../../src/web/csrf.js';
import { errorHandler } from '../../src/web/error-handler.js';
import { rateLimiter } from '../../src/web/rate-limit.js';
import { requireLogin } from '../../src/web/require-login.js';
import { securityHeaders } from '../../src/web/security-headers.js';
import { rolledExpiry, serializeSessionCookie, SessionCookieVerifier } from '../../src/session/session-cookie.js';
import { sessionMiddleware, sessionOptions } from '../../src/session/session-middleware.js';
import { createServices } from '../../src/services.js';
import { forwardWithToken, keepAliveAgent } from './bare-proxy.js';
import { serveIpc } from './ipc.js';
import { storedSession } from './session-store.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const services = await createServices(config, logger);
await services.provider.whenReady(20_000);

let sessionId = '';

/** Stands in for express-session in the variants without it. */
const fixedSession: RequestHandler = (req, _res, next) => {
  (req as unknown as { sessionID: string }).sessionID = sessionId;
  next();
};

// The floor: undici, one keep-alive pool, token from the TokenService, streamed back.
const agent = keepAliveAgent();
const meUrl = new URL('me', config.api.baseUrl);
const bareProxy: RequestListener = (req, res) => {
  req.resume();
  services.tokens.peek(sessionId).then(
    (tokens) => forwardWithToken(meUrl, agent, tokens?.accessToken ?? '', res),
    () => {
      res.writeHead(500);
      res.end();
    },
  );
};

function expressWith(
  layers: ReadonlyArray<RequestHandler | RequestHandler[]>,
  handler: RequestHandler = (req, res) => services.proxy.forward(req, res, req.sessionID),
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  for (const layer of layers) app.use(layer);
  app.all('/api/*path', handler);
  app.use(errorHandler(logger));
  return app;
}

const logging = requestLogger(logger) as unknown as RequestHandler;
const headers = securityHeaders({
  providerOrigins: [config.oidc.issuer.origin],
  https: config.baseUrl.protocol === 'https:',
});
const sessions = sessionMiddleware(config.session, services.sessionStore);
// The app's express-session settings but for `rolling`.
const sessionsNotRolling = session({ ...sessionOptions(config.session, services.sessionStore), rolling: false });
const guards = [
  rateLimiter(
    { trustProxy: 0, sessionCookies: new SessionCookieVerifier(config.session) },
    { name: 'api', perMinute: config.rateLimit.apiPerMinute, key: 'session-or-ip' },
  ).middleware,
  requireCsrfHeader,
  requireLogin,
];

/** The rows of the report, in order. */
const VARIANTS = [
  'bare undici proxy (token from TokenService)',
  '+ express (same bare handler)',
  'express + ApiProxy (src/proxy)',
  '+ pino-http request log',
  '+ helmet and CSP nonce',
  '+ express-session (rolling, as configured)',
  '  same, rolling: false',
  '  same, slim session record',
  '+ rate limit, X-CSRF check, requireLogin',
  'full app (createApp)',
] as const;

const handlers: Record<(typeof VARIANTS)[number], RequestListener> = {
  'bare undici proxy (token from TokenService)': bareProxy,
  '+ express (same bare handler)': expressWith([], bareProxy as unknown as RequestHandler),
  'express + ApiProxy (src/proxy)': expressWith([fixedSession]),
  '+ pino-http request log': expressWith([logging, fixedSession]),
  '+ helmet and CSP nonce': expressWith([logging, headers, fixedSession]),
  '+ express-session (rolling, as configured)': expressWith([logging, headers, sessions]),
  '  same, rolling: false': expressWith([logging, headers, sessionsNotRolling as unknown as RequestHandler]),
  '  same, slim session record': expressWith([logging, headers, sessions]),
  '+ rate limit, X-CSRF check, requireLogin': expressWith([logging, headers, sessions, guards]),
  'full app (createApp)': createApp(services),
};

const ports: Record<string, number> = {};
// The full app listens on PORT: logins go through it.
ports['full app (createApp)'] = (
  await createListeningServer(config.port, config.listenHost, handlers['full app (createApp)'])
).port;
for (const name of VARIANTS) {
  if (name === 'full app (createApp)') continue;
  ports[name] = (await createListeningServer(0, '127.0.0.1', handlers[name])).port;
}

serveIpc(
  {
    cpu: () => process.cpuUsage(),
    setSession: (arg) => {
      sessionId = String(arg);
      return true;
    },
    slimSession: async () => {
      const data = await storedSession(services.sessionStore, sessionId);
      const tokens = await services.tokens.peek(sessionId);
      if (!data?.user || !tokens) throw new Error('no logged-in session to copy');
      const slim: session.SessionData = {
        ...data,
        user: { sub: data.user.sub, name: data.user.name, email: data.user.email, claims: {} },
      };
      const sid = `slim-${sessionId}`;
      await new Promise<void>((resolve, reject) =>
        services.sessionStore.set(sid, slim, (err?: unknown) => (err ? reject(err) : resolve())),
      );
      await services.tokens.saveLogin(sid, tokens);
      // The Cookie header a browser sends back: the name=value pair of the app's Set-Cookie.
      const setCookie = serializeSessionCookie(config.session, sid, rolledExpiry(config.session, Date.now()));
      return {
        cookie: setCookie.split(';')[0] ?? '',
        fullJsonLength: JSON.stringify(data).length,
        slimJsonLength: JSON.stringify(slim).length,
      };
    },
  },
  { ports, order: VARIANTS },
);

/**
 * GET /login, GET /callback, GET+POST /logout: the authorization code flow.
 * Handlers stay short: read the session, call one service, write the session.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from '../../services.js';
import { fetchUserClaims, finishLogin, matchPendingLogin } from '../../oidc/callback.js';
import { startLogin, pickPassThroughParameters } from '../../oidc/login.js';
import { leavesForProvider } from '../../oidc/logout.js';
import { tokenEndpointParameters } from '../../oidc/token-request.js';
import { checkIdTokenContext } from '../../oidc/id-token-checks.js';
import { newCsrfToken, requireSameOriginForm } from '../csrf.js';
import { noStore } from '../security-headers.js';
import { addPendingLogin, loginTrace } from '../../session/session-data.js';
import { regenerateSession, saveSession } from '../../session/session-middleware.js';
import { browserFamily } from '../browser-family.js';
import { signOutHere } from '../sign-out.js';
import { chooseLanguage } from '../../i18n/languages.js';
import { rateLimiter } from '../rate-limit.js';
import { metrics, recordLoginFailure } from '../../observability/metrics.js';

export function authRoutes({ config, provider, tokens, flowLog, logins, logger, rateLimits }: AppDeps): Router {
  const router = Router();
  // Per address, sized for a whole office behind one NAT; plus a small budget per browser session.
  // /login and /callback count separately: finishing a login never competes with starting one.
  const { loginPerMinute, loginPerSessionPerMinute } = config.rateLimit;
  const loginPerAddress = rateLimiter(rateLimits, { name: 'login', perMinute: loginPerMinute, key: 'ip' }).middleware;
  const loginPerSession = rateLimiter(rateLimits, {
    name: 'login-session',
    perMinute: loginPerSessionPerMinute,
    key: 'session',
  }).middleware;
  const callbackLimit = rateLimiter(rateLimits, { name: 'callback', perMinute: loginPerMinute, key: 'ip' }).middleware;

  router.get('/login', loginPerAddress, loginPerSession, noStore, async (req, res) => {
    const now = Date.now();
    const { url, pending } = await startLogin(provider.get(), config.oidc, config.redirectUri, {
      returnTo: req.query.returnTo,
      passThrough: pickPassThroughParameters(req.query),
      now,
      apis: config.apis,
      uiLocales: chooseLanguage(req),
    });
    req.session.pendingLogins = addPendingLogin(req.session.pendingLogins, pending, now);
    // The store write must finish before the provider can send the browser back.
    await saveSession(req);
    metrics.loginsStarted.inc();
    res.redirect(303, url.href);
  });

  router.get('/callback', callbackLimit, noStore, async (req, res) => {
    // Rebuild the URL from configuration, never from Host headers (RFC 9700 §4.13).
    const callbackUrl = new URL(config.redirectUri);
    callbackUrl.search = new URL(req.originalUrl, config.baseUrl).search;
    const state = callbackUrl.searchParams.get('state');
    const pendingLogins = { ...req.session.pendingLogins };
    let login;
    try {
      login = matchPendingLogin(callbackUrl, pendingLogins, Date.now());
    } finally {
      // Single use (RFC 9700 §4.2.4): whatever the outcome, this state is spent.
      if (state && Object.hasOwn(pendingLogins, state)) {
        delete pendingLogins[state];
        req.session.pendingLogins = pendingLogins;
      }
    }
    // RFC 9449: the login's own DPoP key, made here and kept with its tokens (dpop/dpop-key.ts).
    const dpop = config.oidc.dpop ? await tokens.dpopKeys.create() : undefined;
    const outcome = await finishLogin(
      provider.get(),
      callbackUrl,
      login,
      Date.now,
      tokenEndpointParameters(config.oidc),
      dpop,
    );
    const userinfo = config.oidc.fetchUserinfo
      ? await fetchUserClaims(
          provider.get(),
          outcome.tokens.accessToken,
          outcome.claims.sub,
          outcome.tokens.tokenType === 'dpop' ? dpop : undefined,
        )
      : {};
    if (dpop && outcome.tokens.tokenType !== 'dpop') {
      // RFC 9449 §5: a provider without DPoP for this client ignores the proof; the login works, unbound.
      logger.warn({ tokenType: outcome.tokens.tokenType }, 'OIDC_DPOP=on, but the provider issued unbound tokens');
    }
    if (userinfo.error) logger.warn({ reason: userinfo.error }, 'userinfo not available; using ID token claims');
    checkIdTokenContext(outcome.claims, {
      organization: login.organization,
      discoveredIssuer: provider.get().serverMetadata().issuer,
      allowedTenants: config.oidc.allowedTenants,
    });

    // Regenerate the session id on login to prevent fixation (ASVS 5.0 §7.2.4);
    // a previous login in this browser is replaced, tokens included.
    const previousSessionId = req.sessionID;
    await tokens.endLogin(previousSessionId);
    await regenerateSession(req);
    const profile = { ...userinfo.claims, ...outcome.claims };
    req.session.user = {
      sub: outcome.claims.sub,
      name: typeof profile.name === 'string' ? profile.name : undefined,
      email: typeof profile.email === 'string' ? profile.email : undefined,
      claims: outcome.claims,
      ...(userinfo.claims ? { userinfo: userinfo.claims } : {}),
      ...(userinfo.error ? { userinfoError: userinfo.error } : {}),
    };
    const authenticatedAt = Date.now();
    req.session.authenticatedAt = authenticatedAt;
    req.session.csrfToken = newCsrfToken();
    // Other tabs' logins stay possible: they belong to this same browser.
    if (Object.keys(pendingLogins).length > 0) req.session.pendingLogins = pendingLogins;
    await tokens.saveLogin(req.sessionID, outcome.tokens);
    // So a logout token (by `sid` or `sub`) finds this login on any instance (Back-Channel Logout 1.0 §2.7).
    const sid = typeof outcome.claims.sid === 'string' ? outcome.claims.sid : undefined;
    // With what the Sessions list shows of it: when, and the browser's family (never the whole User-Agent).
    await logins.add(
      req.sessionID,
      { sub: outcome.claims.sub, sid, createdAt: authenticatedAt, browser: browserFamily(req.get('user-agent')) },
      config.session.absoluteSeconds,
    );
    await flowLog.saveLoginTrace(req.sessionID, loginTrace(login, outcome, Date.now()));
    await saveSession(req);
    logger.info({ sub: outcome.claims.sub }, 'login completed');
    metrics.loginsCompleted.inc();
    res.redirect(303, outcome.returnTo);
  });

  // A failed callback is counted by its error code, then answered by the app's error handler.
  router.use('/callback', (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    recordLoginFailure(err);
    next(err);
  });

  router.get('/logout', noStore, (req, res) => {
    if (!req.session.user) {
      res.redirect(303, '/');
      return;
    }
    const providerLogout = provider.ready && leavesForProvider(provider.get().serverMetadata(), config.oidc.logout);
    res.render('logout', { providerLogout });
  });

  router.post(
    '/logout',
    noStore,
    express.urlencoded({ extended: false, limit: '2kb' }),
    requireSameOriginForm(config.baseUrl.origin),
    // Ends the login and revokes its refresh token (token-service.ts), then RP-initiated logout.
    (req, res) => signOutHere(req, res, { config, provider, tokens }),
  );

  return router;
}

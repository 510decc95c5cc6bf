/**
 * The /api fast path, in front of Express.
 *
 * Every browser API call comes through here. It runs the same rules as the
 * Express pipeline, each imported from its one definition, in this order:
 *   1. request id, security headers, one access line (web/request-log.ts,
 *      web/security-headers.ts); 503 once the process is stopping
 *      (web/shutdown.ts);
 *   2. the per-client rate limit (web/rate-limit.ts), then the method
 *      (TRACE, TRACK, CONNECT are never proxied: api-target.ts);
 *   3. the CSRF header `X-CSRF: 1` (web/csrf.ts), before the session is even
 *      read, so a forged call costs nothing and reaches nobody;
 *   4. the session (session/session-reader.ts): a login, within the absolute
 *      lifetime, its idle timeout rolled; an API whose calls carry the app's own
 *      token (`API_<NAME>_TOKEN=client`) needs a session, not a login;
 *   5. the API the path names (proxy/api-routes.ts) and its proxy
 *      (proxy/api-proxy.ts), which refreshes the token if it must.
 * Errors are the same JSON as everywhere under /api (web/error-handler.ts).
 *
 * Why not Express: express-session re-hashes, re-signs and re-saves the whole
 * session on every request, and the router, template locals and CSP nonce are
 * work an API call never uses; skipping them is most of what keeps the proxy
 * close to a bare one (docs/benchmark.md). test/web/pipelines.test.ts runs
 * one table of rules against both paths so they cannot drift apart.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, CsrfHeaderMissingError, LoginRequiredError } from '../errors.js';
import { accessLogger } from '../logger.js';
import type { AppDeps } from '../services.js';
import { SessionReader } from '../session/session-reader.js';
import { hasCsrfHeader } from './csrf.js';
import { logError, sendJsonError, toAppError } from './error-handler.js';
import { isSecureRequest } from './forwarded.js';
import { rateLimiter } from './rate-limit.js';
import { levelFor, REQUEST_ID_HEADER, requestFields, requestIdOf } from './request-log.js';
import { assertProxyableMethod } from '../proxy/api-target.js';
import { assertServing } from './shutdown.js';

export function isApiPath(url: string | undefined): boolean {
  return url !== undefined && (url === '/api' || url.startsWith('/api/') || url.startsWith('/api?'));
}

export function createApiGateway(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger, apiRoutes, tokens } = deps;
  const access = accessLogger(logger);
  const securityHeaders = deps.apiHeaders;
  const sessions = new SessionReader(config.session, deps.sessionStore, {
    isSecure: (req) => isSecureRequest(req, config.trustProxy),
    cookies: deps.sessionCookies,
  });
  const limiter = rateLimiter(deps.rateLimits, {
    name: 'api',
    perMinute: config.rateLimit.apiPerMinute,
    key: 'session-or-ip',
  });

  /** `head`: the response headers so far; the session cookie is added to it when it rolls. */
  async function handle(req: IncomingMessage, res: ServerResponse, head: string[]): Promise<void> {
    assertServing(deps.lifecycle);
    head.push(...(await limiter.check(req, res)));
    assertProxyableMethod(req.method);
    if (!hasCsrfHeader(req)) throw new CsrfHeaderMissingError();
    // isApiPath let `/api`, `/api?…` and `/api/…` through: only the last names an API path.
    if (!req.url?.startsWith('/api/')) throw new AppError(404, 'not_found', 'errors:message.api_path_required');
    const route = apiRoutes.forPath(req.url);
    if (!route) throw new AppError(404, 'not_found', 'errors:message.api_not_mounted');
    const id = sessions.idOf(req);
    if (!id) throw new LoginRequiredError();
    // The session and its tokens are read together: with Redis that is one round trip, not two.
    // The tokens are only used once the session below proves to be a live login.
    const wantsUser = route.user !== undefined;
    const [session, held] = await Promise.all([sessions.load(id), wantsUser ? tokens.peek(id) : undefined]);
    const loggedIn = Boolean(session?.data.user);
    // `user_or_client` sends the user's token when there is a login, else the app's.
    const proxy = loggedIn && route.user ? route.user : route.client;
    if (!session || !proxy) throw new LoginRequiredError();
    try {
      if (loggedIn && sessions.expired(session)) {
        await tokens.endLogin(session.id);
        throw new LoginRequiredError('errors:message.session_expired');
      }
      const rolled = sessions.keepAlive(req, session);
      if (rolled) head.push('Set-Cookie', rolled);
      if (loggedIn) void tokens.keepAlive(session.id);
      await proxy.forward(req, res, session.id, head, proxy === route.user ? (held ?? null) : null);
    } catch (err) {
      // The login has ended (absolute lifetime, or a refresh token the provider refused): the session forgets the user.
      if (err instanceof LoginRequiredError && loggedIn) await sessions.clearUser(session);
      throw err;
    }
  }

  return (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const head = [...securityHeaders, REQUEST_ID_HEADER, requestId];
    res.once('finish', () => {
      const status = res.statusCode;
      const fields = {
        req: requestFields(requestId, req.method, req.url),
        res: { status },
        responseTime: performance.now() - started,
      };
      access[levelFor(status)](fields, 'request completed');
    });
    handle(req, res, head).catch((err: unknown) => {
      const known = toAppError(err);
      logError(logger, known, err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (let i = 0; i < head.length; i += 2) res.appendHeader(head[i] as string, head[i + 1] as string);
      sendJsonError(req, res, known);
    });
  };
}

/**
 * GET /m2m: the "Machine-to-machine" page. POST /m2m/call: the server calls
 * the API's machine-only route `GET /reports/daily` (or, with `api=<name>`, a
 * management API's `GET /api/v2/clients`) with its own client-credentials
 * token (RFC 6749 §4.4) and shows the answer and the token cache state, never
 * the token.
 *
 * Why behind a login although no user is involved in the call: the page makes
 * this server spend its own credentials (and, on a cold cache, a request at
 * the provider, whose token endpoint is rate-limited) and shows the M2M
 * configuration. Anonymous visitors should trigger neither. The signed-in
 * user's identity is not passed on: the API sees only the machine client.
 *
 * CSRF: the page's script sends `X-CSRF: 1` (a cross-site page cannot send a
 * custom header without a CORS preflight we never answer); without script the
 * form carries the session's CSRF token and must come from our origin.
 * Routes are thin: the token logic is in src/m2m/.
 */
import express, { Router, type RequestHandler, type Response } from 'express';
import type { AppDeps } from '../../services.js';
import { describeClientAuthentication } from '../../oidc/client-keys.js';
import { AppError } from '../../errors.js';
import { CSRF_HEADER, requireCsrfHeader, requireSameOriginForm } from '../csrf.js';
import { wantsJson } from '../error-handler.js';
import { rateLimiter } from '../rate-limit.js';
import { requireLogin } from '../require-login.js';
import { noStore } from '../security-headers.js';
import { M2mApiClient, type M2mApiResult } from '../../m2m/api-client.js';
import type { M2mCacheState } from '../../m2m/description.js';
import { DEFAULT_API_NAME } from '../../config/apis.js';
import type { Translate } from '../../i18n/catalogues.js';

/** The API route the page calls: machine clients only, scope `read:reports` in the demo. */
const M2M_REPORT_PATH = '/reports/daily';
/**
 * What the page calls on a named client API called `management`: the client list, a route of
 * the demo management API and of Auth0's Management API v2 (scope `read:clients`).
 */
const MANAGEMENT_PATH = '/api/v2/clients';

/** One API the page can call: its name, the client that calls it, and the route. */
interface M2mTarget {
  readonly name: string;
  readonly path: string;
  readonly client: M2mApiClient;
}

/** Dependencies of {@link m2mRoutes}: the app's, plus the token source (`null` when M2M is not configured). */

interface ShownError {
  code: string;
  message: string;
  details: Record<string, string>;
}

/**
 * What the browser may see of an M2M failure. Unreachable provider or API:
 * a plain sentence, since the library's message names internal origins and
 * socket error codes (OWASP ASVS 5.0 §16.5.1: no internal detail in errors);
 * the full message goes to the log. Provider refusals keep their sentence
 * (it names the variable to fix) and the provider's OAuth `error` and
 * `description` (RFC 6749 §5.2), never the issuer's address.
 */
const BROWSER_MESSAGES: Readonly<Record<string, string>> = {
  m2m_provider_unavailable: 'errors:m2m.browser_provider_unavailable',
  m2m_failed: 'errors:m2m.browser_failed',
  m2m_api_unavailable: 'errors:message.upstream_unreachable',
  m2m_api_timeout: 'errors:message.upstream_timeout',
};

function shownError(err: AppError, t: Translate): ShownError {
  const details: Record<string, string> = {};
  for (const name of ['error', 'description']) {
    const value = err.details[name];
    if (value !== undefined) details[name] = value;
  }
  const browserMessage = BROWSER_MESSAGES[err.code];
  return { code: err.code, message: browserMessage ? t(browserMessage) : err.describe(t), details };
}

/** The M2M page and its one action. */
export function m2mRoutes(deps: AppDeps): Router {
  const { config, m2m, logger } = deps;
  const router = Router();
  // The default API with the configured M2M target, and a named client API `management` with its own.
  const targets = new Map<string, M2mTarget>();
  if (m2m) {
    targets.set(DEFAULT_API_NAME, {
      name: DEFAULT_API_NAME,
      path: M2M_REPORT_PATH,
      client: new M2mApiClient({ tokens: m2m, baseUrl: config.api.baseUrl, timeoutMs: config.api.timeoutMs, logger }),
    });
    const management = config.apis.find((a) => a.name === 'management' && a.token !== 'user');
    if (management) {
      targets.set(management.name, {
        name: management.name,
        path: MANAGEMENT_PATH,
        client: new M2mApiClient({
          tokens: m2m,
          baseUrl: management.baseUrl,
          timeoutMs: config.api.timeoutMs,
          tokenRequest: {
            audience: management.audience ?? '',
            resource: management.resource ?? '',
            scope: management.scope ?? '',
          },
          logger,
        }),
      });
    }
  }
  const limit = rateLimiter(deps.rateLimits, {
    name: 'm2m',
    perMinute: config.rateLimit.apiPerMinute,
    key: 'session-or-ip',
  }).middleware;
  const parseForm = express.urlencoded({ extended: false, limit: '2kb' });
  const checkForm = requireSameOriginForm(config.baseUrl.origin);
  // The script proves same-origin with the header; a plain form with the session's token.
  const csrf: RequestHandler = (req, res, next) => {
    if (req.headers[CSRF_HEADER] !== undefined) {
      requireCsrfHeader(req, res, next);
      return;
    }
    parseForm(req, res, (err?: unknown) => {
      if (err) next(err);
      else checkForm(req, res, next);
    });
  };

  async function render(
    res: Response,
    status: number,
    result: M2mApiResult | null,
    error: ShownError | null,
  ): Promise<void> {
    const state: M2mCacheState | null = m2m ? await m2m.cacheState() : null;
    const calls = [...targets.values()].map(({ name, path }) => ({ name, path }));
    res.status(status).render('m2m', {
      active: 'm2m',
      configured: m2m !== null,
      state,
      result,
      error,
      reportPath: M2M_REPORT_PATH,
      clientAuthentication: m2m
        ? describeClientAuthentication(res.locals.t as Translate, m2m.settings.authMethod, deps.clientKeys)
        : '',
      calls,
    });
  }

  router.get('/m2m', noStore, requireLogin, async (_req, res) => {
    await render(res, 200, null, null);
  });

  router.post('/m2m/call', noStore, limit, csrf, requireLogin, async (req, res, next) => {
    const requested = typeof req.query['api'] === 'string' ? req.query['api'] : DEFAULT_API_NAME;
    const target = targets.get(requested);
    if (m2m && !target) {
      next(new AppError(404, 'not_found', 'errors:message.m2m_no_such_api'));
      return;
    }
    if (!m2m || !target) {
      next(new AppError(404, 'm2m_not_configured', 'errors:message.m2m_not_configured'));
      return;
    }
    const json = wantsJson(req);
    const requestsBefore = m2m.stats().tokenRequests;
    let result: M2mApiResult;
    try {
      result = await target.client.call('GET', target.path);
      deps.flowLog.append(req.sessionID, {
        type: 'm2m_call',
        at: Date.now() - result.durationMs,
        data: {
          api: target.name,
          path: result.path,
          status: result.status,
          cached: m2m.stats().tokenRequests === requestsBefore,
          retried: result.retried,
          latencyMs: result.durationMs,
        },
      });
    } catch (err) {
      // Token and API-reachability errors are part of what the page demonstrates: show them in place.
      if (!(err instanceof AppError) || err.status < 500) throw err;
      const shown = shownError(err, res.locals.t as Translate);
      logger.warn({ code: err.code, reason: err.publicMessage }, 'm2m call failed');
      for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
      if (json) {
        res.status(err.status).json({
          error: shown.code,
          error_description: shown.message,
          details: shown.details,
          cache: await m2m.cacheState(),
        });
      } else {
        await render(res, err.status, null, shown);
      }
      return;
    }
    if (json) {
      res.json({ result, cache: await m2m.cacheState() });
    } else {
      await render(res, 200, result, null);
    }
  });

  return router;
}

/**
 * The /api hot path, in front of Express.
 *
 * Every browser API call goes through here, so it does only what an API call
 * needs, in this order, with no Express, no template locals and no CSP:
 *   1. request id, static security headers, one log line when it ends;
 *   2. the per-client rate limit (express-rate-limit's store);
 *   3. the CSRF header `X-CSRF: 1` (before the session is even read, so a
 *      forged call costs nothing and reaches nobody);
 *   4. the session, read lean (session-reader.ts) and checked for a login and
 *      the absolute lifetime;
 *   5. the proxy (api-proxy.ts), which refreshes the token if it must.
 * Errors are the same JSON as everywhere under /api (error-handler.ts).
 * Measured in docs/benchmark.md: this path is what keeps the proxy cheap.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { MemoryStore } from 'express-rate-limit';
import proxyaddr from 'proxy-addr';
import type { AppDeps } from '../services.js';
import { AppError, LoginRequiredError } from '../errors.js';
import { CSRF_HEADER } from '../web/csrf.js';
import { accessLogger } from '../logger.js';
import { logError, sendJsonError, toAppError } from '../web/error-handler.js';
import { SessionReader, type ApiSession } from '../session/session-reader.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function isApiPath(url: string | undefined): boolean {
  return url !== undefined && (url === '/api' || url.startsWith('/api/') || url.startsWith('/api?'));
}

export function createApiGateway(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, logger, proxy, tokens } = deps;
  const access = accessLogger(logger);
  const https = config.baseUrl.protocol === 'https:';
  // The same headers helmet gives pages, minus the CSP a JSON answer has no use for.
  // A flat [name, value, …] list: the proxy sends it with the upstream's headers in one writeHead.
  const securityHeaders: readonly string[] = [
    'X-Content-Type-Options',
    'nosniff',
    'Referrer-Policy',
    'no-referrer',
    'X-Frame-Options',
    'DENY',
    'Cross-Origin-Resource-Policy',
    'same-origin',
    ...(https ? ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] : []),
  ];
  // Trust exactly TRUST_PROXY hops of X-Forwarded-For, as Express's `trust proxy` does.
  const trust = (_address: string, hop: number) => hop < config.trustProxy;
  const clientIp = (req: IncomingMessage) => proxyaddr(req, trust);
  const isSecure = (req: IncomingMessage) =>
    Boolean((req.socket as TLSSocket).encrypted) ||
    (config.trustProxy > 0 &&
      String(req.headers['x-forwarded-proto'] ?? '')
        .split(',')[0]
        ?.trim() === 'https');

  const sessions = new SessionReader(config.session, deps.sessionStore, { isSecure });
  const limiter = new MemoryStore();
  limiter.init({ windowMs: 60_000 } as Parameters<MemoryStore['init']>[0]);
  const limit = config.rateLimit.apiPerMinute;

  /** `head`: the response headers so far; the session cookie is added to it when it rolls. */
  async function handle(req: IncomingMessage, res: ServerResponse, head: string[]): Promise<void> {
    const { totalHits } = await limiter.increment(clientIp(req));
    if (totalHits > limit) {
      throw new AppError(429, 'rate_limited', 'Too many requests. Please wait a minute and try again.', {
        headers: { 'Retry-After': '60' },
      });
    }
    if (req.headers[CSRF_HEADER] !== '1') {
      throw new AppError(403, 'csrf_header_missing', 'API calls must carry the header "X-CSRF: 1".');
    }
    if (req.url === '/api' || req.url?.startsWith('/api?')) {
      throw new AppError(404, 'not_found', 'Name an API path: /api/<path>.');
    }
    const id = sessions.idOf(req);
    if (!id) throw new LoginRequiredError();
    // The session and its tokens are read together: with Redis that is one round trip, not two.
    // The tokens are only used once the session below proves to be a live login.
    const [session, held] = await Promise.all([sessions.load(id), tokens.peek(id)]);
    if (!session?.data.user) throw new LoginRequiredError();
    if (sessions.expired(session)) {
      await endLogin(session);
      throw new LoginRequiredError('Your session has expired. Please log in again.');
    }
    const rolled = sessions.keepAlive(req, session);
    if (rolled) head.push('Set-Cookie', rolled);
    try {
      await proxy.forward(req, res, session.id, head, held);
    } catch (err) {
      // The login is gone for good (refresh token refused): forget the user too.
      if (err instanceof LoginRequiredError) await sessions.forgetUser(session);
      throw err;
    }
  }

  async function endLogin(session: ApiSession): Promise<void> {
    await tokens.forget(session.id);
    await sessions.forgetUser(session);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const head = [...securityHeaders, 'X-Request-Id', requestId];
    res.once('finish', () => {
      const status = res.statusCode;
      const fields = {
        req: { id: requestId, method: req.method, path: (req.url ?? '').split('?')[0] },
        res: { status },
        responseTime: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (status >= 500) access.error(fields, 'request completed');
      else if (status >= 400) access.warn(fields, 'request completed');
      else access.info(fields, 'request completed');
    });
    handle(req, res, head).catch((err: unknown) => {
      const known = toAppError(err);
      logError(logger, known, err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (let i = 0; i < head.length; i += 2) res.appendHeader(head[i] as string, head[i + 1] as string);
      sendJsonError(res, known);
    });
  };
}

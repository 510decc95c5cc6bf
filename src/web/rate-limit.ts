/**
 * Abuse limits (draft-ietf-oauth-browser-based-apps §6.1.3.5): every user
 * shares the BFF's address at the provider and the API, so one client must not
 * exhaust them. One factory serves the Express routes and the /api fast path.
 *
 * Keys are client addresses as `TRUST_PROXY` defines them (the same hop count
 * Express's `trust proxy` uses), IPv6 grouped by /56 (express-rate-limit's
 * `ipKeyGenerator`), since one subscriber usually holds a whole prefix.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RateLimitedError } from '../errors.js';
import { clientIp } from './forwarded.js';

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /** Express middleware: over the limit → `RateLimitedError` to the error handler. */
  readonly middleware: RequestHandler;
  /** The same limiter for plain Node requests: rejects with `RateLimitedError`. */
  check(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function rateLimiter(options: { perMinute: number; trustProxy: number }): RateLimiter {
  const middleware = rateLimit({
    windowMs: WINDOW_MS,
    limit: options.perMinute,
    // draft-7 headers are set with setHeader alone, which plain Node responses have (draft-8 needs Express's append).
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(clientIp(req, options.trustProxy)),
    // Its start-up checks read Express-only fields; the key above already follows TRUST_PROXY.
    validate: false,
    handler: (_req, res, next) => {
      res.setHeader('Retry-After', String(WINDOW_MS / 1000));
      next(new RateLimitedError(WINDOW_MS / 1000));
    },
  });
  return {
    middleware,
    check: (req, res) =>
      new Promise((resolve, reject) => {
        // express-rate-limit only needs Node's request and response here.
        void middleware(req as never, res as never, (err?: unknown) => (err ? reject(err) : resolve()));
      }),
  };
}

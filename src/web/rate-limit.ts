/**
 * Abuse limits (draft-ietf-oauth-browser-based-apps §6.1.3.5): every user
 * shares the BFF's address at the provider and the API, so one client must not
 * exhaust them. One factory serves the Express routes and the /api fast path.
 *
 * Keys:
 * - `ip`: the client address as `TRUST_PROXY` defines it (the same hop count
 *   Express's `trust proxy` uses), IPv6 grouped by /56 (express-rate-limit's
 *   `ipKeyGenerator`), since one subscriber usually holds a whole prefix.
 * - `session-or-ip`: the session when the request carries our signed session
 *   cookie, else the address. Users behind one NAT or proxy get a budget each;
 *   a forged or unsigned cookie counts as none, so rotating cookies gains nothing.
 * - `session`: only requests with a session count (a small per-browser budget
 *   next to a per-address one sized for a whole office behind one NAT).
 * Each limiter is its own bucket (`name`). With `REDIS_URL` the counters live
 * in Redis (rate-limit-redis), so a limit holds across instances.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { RateLimitedError } from '../errors.js';
import type { SessionCookieVerifier } from '../session/session-cookie.js';
import type { RedisConnection } from '../stores/redis/connection.js';
import { clientIp } from './forwarded.js';

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /** Express middleware: over the limit → `RateLimitedError` to the error handler. */
  readonly middleware: RequestHandler;
  /** The same limiter for plain Node requests: rejects with `RateLimitedError`. */
  check(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** What every limiter of the app shares: how to read addresses and sessions, and where counters live. */
export interface RateLimitContext {
  readonly trustProxy: number;
  readonly sessionCookies: SessionCookieVerifier;
  /** A shared counter store for the bucket `name` (Redis); undefined = this process's memory. */
  readonly store?: ((name: string) => Store) | undefined;
}

export interface RateLimiterOptions {
  /** The bucket: limiters with different names never share counters. */
  readonly name: string;
  readonly perMinute: number;
  readonly key: 'ip' | 'session-or-ip' | 'session';
}

export function rateLimiter(context: RateLimitContext, options: RateLimiterOptions): RateLimiter {
  const sessionOf = (req: IncomingMessage) =>
    options.key === 'ip' ? undefined : context.sessionCookies.idOfRequest(req);
  const middleware = rateLimit({
    windowMs: WINDOW_MS,
    limit: options.perMinute,
    // draft-7 headers are set with setHeader alone, which plain Node responses have (draft-8 needs Express's append).
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const session = sessionOf(req);
      return session ? `s:${session}` : `ip:${ipKeyGenerator(clientIp(req, context.trustProxy))}`;
    },
    // A per-session bucket ignores requests without a session: the per-address bucket covers them.
    ...(options.key === 'session' ? { skip: (req: IncomingMessage) => sessionOf(req) === undefined } : {}),
    ...(context.store ? { store: context.store(options.name) } : {}),
    // Redis down or hanging: the store's error (a bounded RedisUnavailableError) is the answer, 503
    // session_store_unavailable, as the session read right after would give; waiting for both would double the delay.
    passOnStoreError: false,
    // Its start-up checks read Express-only fields; the key above already follows TRUST_PROXY.
    validate: false,
    // express-rate-limit has set Retry-After; the error carries it too, for whichever path renders it.
    handler: (_req, _res, next) => next(new RateLimitedError(WINDOW_MS / 1000)),
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

/**
 * Counters in Redis under `<prefix>rl:<name>:` (rate-limit-redis), every
 * command bounded by the connection's timeout. The store loads its Lua
 * scripts at start; if Redis is not up yet, the script's SHA-1 is answered
 * locally, so the first real call gets NOSCRIPT and the store loads it then.
 */
export function redisRateLimitStore(connection: RedisConnection): (name: string) => Store {
  const send = async (args: string[]): Promise<RedisReply> => {
    try {
      return await connection.run('rate limit', (client) => client.sendCommand(args) as Promise<RedisReply>);
    } catch (err) {
      // The store reloads its script on NOSCRIPT, which it recognises by the reply's own message.
      const cause = (err as { cause?: unknown }).cause;
      throw cause instanceof Error && cause.message.startsWith('NOSCRIPT') ? cause : err;
    }
  };
  return (name) =>
    new RedisStore({
      prefix: `${connection.keyPrefix}rl:${name}:`,
      sendCommand: async (...args: string[]) => {
        if (args[0] === 'SCRIPT' && args[1] === 'LOAD') {
          return send(args).catch(() =>
            createHash('sha1')
              .update(args[2] ?? '')
              .digest('hex'),
          );
        }
        return send(args);
      },
    });
}

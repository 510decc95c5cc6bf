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
 * in Redis (stores/redis/rate-limit-counter.ts), so a limit holds across
 * instances.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, type Store } from 'express-rate-limit';
import { RateLimitedError } from '../errors.js';
import type { SessionCookieVerifier } from '../session/session-cookie.js';
import { clientIp } from './forwarded.js';

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /** Express middleware: over the limit → `RateLimitedError` to the error handler. */
  readonly middleware: RequestHandler;
  /**
   * The same limiter for plain Node requests: resolves with the response headers it adds, as a
   * flat `[name, value, …]` list (none when the request is not counted), or rejects with
   * `RateLimitedError`, its headers already set on `res`.
   */
  check(req: IncomingMessage, res: ServerResponse): Promise<readonly string[]>;
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

/**
 * One limiter: express-rate-limit's counter stores (its MemoryStore, or the Redis one) and
 * address grouping, with the counting step written here rather than its middleware. The
 * middleware sets its headers one `setHeader` at a time, and a response that has headers set
 * that way can no longer send the /api proxy's flat header list in one `writeHead` (Node then
 * re-sets every header through `setHeader`); it also awaits and validates several times per
 * request. The steps below are the ones that middleware runs with this configuration: the key,
 * one increment, the IETF draft-7 headers (draft-ietf-httpapi-ratelimit-headers-07 §2: a
 * `RateLimit-Policy` and a `RateLimit` field), and `Retry-After` on a refusal (RFC 6585 §4).
 */
export function rateLimiter(context: RateLimitContext, options: RateLimiterOptions): RateLimiter {
  const limit = options.perMinute;
  const policy = `${limit};w=${WINDOW_MS / 1000}`;
  const store = context.store?.(options.name) ?? new MemoryStore();
  // A store that cannot start (Redis down) fails each call's increment instead, which answers 503.
  Promise.resolve(store.init?.({ windowMs: WINDOW_MS } as Parameters<NonNullable<Store['init']>>[0])).catch(
    () => undefined,
  );
  const sessionOf = (req: IncomingMessage) =>
    options.key === 'ip' ? undefined : context.sessionCookies.idOfRequest(req);
  const keyOf = (req: IncomingMessage): string | undefined => {
    const session = sessionOf(req);
    if (session) return `s:${session}`;
    // A per-session bucket ignores requests without a session: the per-address bucket covers them.
    if (options.key === 'session') return undefined;
    return `ip:${ipKeyGenerator(clientIp(req, context.trustProxy))}`;
  };

  async function check(req: IncomingMessage, res: ServerResponse): Promise<readonly string[]> {
    const key = keyOf(req);
    if (key === undefined) return NONE;
    // Redis down or hanging: the store's error (a bounded RedisUnavailableError) is the answer, 503
    // session_store_unavailable, as the session read right after would give; waiting for both would double the delay.
    const { totalHits, resetTime } = await store.increment(key);
    const reset = resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : WINDOW_MS / 1000;
    const headers = [
      'RateLimit-Policy',
      policy,
      'RateLimit',
      `limit=${limit}, remaining=${Math.max(limit - totalHits, 0)}, reset=${reset}`,
    ];
    if (totalHits <= limit) return headers;
    if (!res.headersSent) {
      for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string);
    }
    throw new RateLimitedError(WINDOW_MS / 1000);
  }

  const middleware: RequestHandler = (req, res, next) => {
    check(req, res).then((headers) => {
      for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string);
      next();
    }, next);
  };
  return { middleware, check };
}

const NONE: readonly string[] = [];

/**
 * One refresh per session across all instances (RFC 9700 §4.14.2: with
 * refresh-token rotation, two instances refreshing the same token at once get
 * the user's whole grant revoked).
 *
 * - Take: `SET <prefix>lock:refresh:<sessionId> <random token> NX PX <ttl>`.
 * - Release: a Lua compare-and-delete, so only the owner removes its lock;
 *   a holder that outlived its TTL cannot delete a successor's lock.
 * - A live holder never loses its lock to a slow refresh: a watchdog extends
 *   the lease (compare-and-`PEXPIRE`) every third of `ttlMs` until the task
 *   ends. Were the lock lost anyway (Redis unreachable for a whole lease),
 *   the token store's version fence (token-store.ts) still keeps the newest
 *   refresh token.
 * - A holder that dies leaves a lock that simply expires after `ttlMs`.
 * - A waiter polls every 25–50 ms until it gets the lock, then runs the task,
 *   which re-reads the store and skips the refresh if someone else already did
 *   it (token-service.ts). After `waitMs` it gives up with a 503 `refresh_busy`;
 *   with `wait: false` (an early refresh) it gives up at once.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisConnection } from './connection.js';
import { RefreshBusyError, type RefreshLock } from '../../tokens/refresh-lock.js';
import { metrics } from '../../observability/metrics.js';

/** KEYS[1] lock key; ARGV[1] owner token; ARGV[2] TTL in ms. Returns 1 when this owner's lock was extended. */
const EXTEND_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** KEYS[1] lock key; ARGV[1] owner token. Returns 1 when this owner's lock was deleted. */
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export function refreshLockKey(keyPrefix: string, sessionId: string): string {
  return `${keyPrefix}lock:refresh:${sessionId}`;
}

export interface RedisRefreshLockOptions {
  /** Lock expiry in ms. */
  readonly ttlMs: number;
  /** Longest wait for the lock in ms. */
  readonly waitMs: number;
  /** Poll interval in ms (a random 0–100 % is added). Default 25. */
  readonly pollMs?: number;
}

export class RedisRefreshLock implements RefreshLock {
  readonly #redis: RedisConnection;
  readonly #ttlMs: number;
  readonly #waitMs: number;
  readonly #pollMs: number;

  constructor(redis: RedisConnection, options: RedisRefreshLockOptions) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs;
    this.#waitMs = options.waitMs;
    this.#pollMs = options.pollMs ?? 25;
  }

  async withLock<T>(sessionId: string, task: () => Promise<T>, options: { wait?: boolean } = {}): Promise<T> {
    const key = refreshLockKey(this.#redis.keyPrefix, sessionId);
    const token = randomBytes(18).toString('base64url');
    const started = Date.now();
    const deadline = options.wait === false ? started : started + this.#waitMs;
    let waiting = false;
    for (;;) {
      const reply = await this.#redis.run('lock.acquire', (c) =>
        c.set(key, token, { condition: 'NX', expiration: { type: 'PX', value: this.#ttlMs } }),
      );
      if (reply === 'OK') break;
      if (!waiting) metrics.refreshWaits.inc({ on: 'cluster_lock' });
      waiting = true;
      const left = deadline - Date.now();
      if (left <= 0) {
        if (options.wait !== false) {
          this.#redis.logger.warn({ waitedMs: Date.now() - started }, 'refresh lock not acquired in time');
        }
        throw new RefreshBusyError(Math.max(1, Math.ceil(this.#ttlMs / 1000)));
      }
      await delay(Math.min(left, this.#pollMs + Math.random() * this.#pollMs));
    }
    let holding = true;
    const watchdog = setInterval(
      () => void this.#extend(key, token, () => holding),
      Math.max(1, Math.floor(this.#ttlMs / 3)),
    );
    watchdog.unref();
    try {
      return await task();
    } finally {
      holding = false;
      clearInterval(watchdog);
      await this.#release(key, token);
    }
  }

  async #extend(key: string, token: string, holding: () => boolean): Promise<void> {
    try {
      const extended = await this.#redis.evalScript(
        'lock.extend',
        EXTEND_IF_OWNER,
        [key],
        [token, String(this.#ttlMs)],
      );
      if (extended !== 1 && holding())
        this.#redis.logger.warn({ lockTtlMs: this.#ttlMs }, 'refresh lock lost while refreshing');
    } catch (err) {
      this.#redis.logger.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'refresh lock could not be extended',
      );
    }
  }

  async #release(key: string, token: string): Promise<void> {
    try {
      await this.#redis.evalScript('lock.release', RELEASE_IF_OWNER, [key], [token]);
    } catch (err) {
      // Harmless: the lock expires by itself after its TTL.
      this.#redis.logger.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'refresh lock release failed',
      );
    }
  }
}

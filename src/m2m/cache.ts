/**
 * Where client-credentials tokens are kept between calls. Never fetching a
 * token per call matters: providers rate-limit their token endpoint.
 *
 * The default is in memory, private to one process. With Redis
 * (src/stores/redis/json-cache.ts, same interface) every instance shares one
 * token per target. Entries expire with the token itself: `set` receives the
 * seconds until it expires as the entry's time to live.
 */
import { LRUCache } from 'lru-cache';
import type { M2mToken } from './token.js';

/** A token cache. Entries are JSON-serialisable. */
export interface M2mTokenCache {
  get(key: string): Promise<M2mToken | undefined>;
  set(key: string, entry: M2mToken, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** In-memory {@link M2mTokenCache}: per-entry TTL, at most `maxEntries` (least recently used go first). */
export class MemoryM2mTokenCache implements M2mTokenCache {
  readonly #entries: LRUCache<string, M2mToken>;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#entries = new LRUCache<string, M2mToken>({
      max: options.maxEntries ?? 1_000,
      ...(options.now ? { perf: { now: options.now } } : {}),
      // Read the clock on every look-up (tests move it; the default caches it for 1 ms).
      ttlResolution: 0,
    });
  }

  async get(key: string): Promise<M2mToken | undefined> {
    return this.#entries.get(key);
  }

  async set(key: string, entry: M2mToken, ttlSeconds: number): Promise<void> {
    // lru-cache reads a TTL of 0 as "never expires": an expired token is simply not kept.
    if (ttlSeconds <= 0) this.#entries.delete(key);
    else this.#entries.set(key, entry, { ttl: Math.ceil(ttlSeconds * 1000) });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}

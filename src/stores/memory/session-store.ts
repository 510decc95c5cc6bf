/**
 * Bounded in-memory stores with expiry, for a single instance.
 *
 * express-session's own MemoryStore "will leak memory under most conditions";
 * these are bounded by count (least recently used entries go first) and every
 * entry has a time to live, purged in the background. Values are stored as JSON
 * strings so no request can mutate another request's copy.
 */
import session from 'express-session';
import { LRUCache } from 'lru-cache';
import type { KeyValueStore } from './key-value-store.js';

export class MemoryKeyValueStore implements KeyValueStore {
  readonly #cache: LRUCache<string, string>;

  constructor(maxEntries: number) {
    this.#cache = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: true, ttl: 24 * 60 * 60 * 1000 });
  }

  async get(key: string): Promise<string | undefined> {
    return this.#cache.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#cache.set(key, value, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.#cache.delete(key);
  }

  async touch(key: string, ttlSeconds: number): Promise<void> {
    const value = this.#cache.get(key);
    if (value !== undefined) this.#cache.set(key, value, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  async ping(): Promise<void> {}

  get size(): number {
    return this.#cache.size;
  }
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/** An express-session store over any KeyValueStore; TTL follows the cookie's maxAge (idle timeout). */
export class KeyValueSessionStore extends session.Store {
  readonly #kv: KeyValueStore;
  readonly #prefix: string;
  readonly #defaultTtlSeconds: number;

  constructor(kv: KeyValueStore, options: { prefix: string; defaultTtlSeconds: number }) {
    super();
    this.#kv = kv;
    this.#prefix = options.prefix;
    this.#defaultTtlSeconds = options.defaultTtlSeconds;
  }

  #ttl(data: session.SessionData): number {
    const maxAge = data.cookie?.maxAge;
    return typeof maxAge === 'number' ? Math.ceil(maxAge / 1000) : this.#defaultTtlSeconds;
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.#kv.get(this.#prefix + sid).then(
      (raw) => callback(undefined, raw === undefined ? null : (JSON.parse(raw) as session.SessionData)),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#kv.set(this.#prefix + sid, JSON.stringify(data), this.#ttl(data)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#kv.touch(this.#prefix + sid, this.#ttl(data)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#kv.delete(this.#prefix + sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}

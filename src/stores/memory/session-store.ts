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
import type { StoredSessionRecords } from '../../session/session-reader.js';
import { expiringLru, ttlMs } from '../ttl.js';

export class MemoryKeyValueStore implements KeyValueStore {
  readonly #cache: LRUCache<string, string>;

  constructor(maxEntries: number) {
    this.#cache = expiringLru<string>(maxEntries);
  }

  async get(key: string): Promise<string | undefined> {
    return this.#cache.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#cache.set(key, value, { ttl: ttlMs(ttlSeconds, 1000) });
  }

  async delete(key: string): Promise<void> {
    this.#cache.delete(key);
  }

  async touch(key: string, ttlSeconds: number): Promise<void> {
    const value = this.#cache.get(key);
    if (value !== undefined) this.#cache.set(key, value, { ttl: ttlMs(ttlSeconds, 1000) });
  }

  async ping(): Promise<void> {}

  get size(): number {
    return this.#cache.size;
  }
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * An express-session store over any KeyValueStore; TTL follows the cookie's maxAge (idle timeout).
 *
 * With `anonymous`, sessions without a logged-in user (a login started and
 * not finished) live in that second, smaller store: every `/login` creates
 * one, so a flood of them could otherwise push logged-in users out of a
 * count-bounded store. They only ever evict each other.
 *
 * Keys are the session ids themselves: each KeyValueStore here holds sessions
 * only, and the id is the very string the token store, flow log and login index
 * are keyed by, so a prefixed key would only be one more string per session.
 */
export class KeyValueSessionStore extends session.Store implements StoredSessionRecords {
  readonly #kv: KeyValueStore;
  readonly #anonymous: KeyValueStore | undefined;
  readonly #defaultTtlSeconds: number;
  readonly #sides: readonly KeyValueStore[];

  constructor(kv: KeyValueStore, options: { defaultTtlSeconds: number; anonymous?: KeyValueStore | undefined }) {
    super();
    this.#kv = kv;
    this.#anonymous = options.anonymous;
    this.#defaultTtlSeconds = options.defaultTtlSeconds;
    this.#sides = options.anonymous ? [kv, options.anonymous] : [kv];
  }

  /** Both sides, the logged-in one first. */
  #stores(): readonly KeyValueStore[] {
    return this.#sides;
  }

  #ttl(data: session.SessionData): number {
    const maxAge = data.cookie?.maxAge;
    return typeof maxAge === 'number' ? Math.ceil(maxAge / 1000) : this.#defaultTtlSeconds;
  }

  /** The record's JSON as stored (session-reader.ts parses it once per stored value). */
  async storedRecord(sid: string): Promise<string | undefined> {
    for (const store of this.#stores()) {
      const raw = await store.get(sid);
      if (raw !== undefined) return raw;
    }
    return undefined;
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    const read = async () => {
      const raw = await this.storedRecord(sid);
      return raw === undefined ? null : (JSON.parse(raw) as session.SessionData);
    };
    read().then(
      (value) => callback(undefined, value),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const anonymous = this.#anonymous;
    const write = async () => {
      const [target, other] = anonymous && !data.user ? [anonymous, this.#kv] : [this.#kv, anonymous];
      await target.set(sid, JSON.stringify(data), this.#ttl(data));
      // A session moves sides when its user logs in or out: never two copies.
      await other?.delete(sid);
    };
    write().then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    Promise.all(this.#stores().map((store) => store.touch(sid, this.#ttl(data)))).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    Promise.all(this.#stores().map((store) => store.delete(sid))).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}

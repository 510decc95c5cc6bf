import { LRUCache } from 'lru-cache';
import type { AtRestCipher } from './at-rest-cipher.js';
import type { RedisConnection } from './connection.js';
import { ttlMs } from '../ttl.js';

/**
 * JSON values with a time to live under one key prefix, encrypted at rest
 * (at-rest-cipher.ts: the M2M cache holds bearer tokens). Fits the M2M token
 * cache shape `get(key)`, `set(key, entry, ttlSeconds)`, `delete(key)`.
 * Failures reject with `RedisUnavailableError` (bounded); a cache user may
 * treat that as a miss. Values that do not decrypt or parse read as a miss.
 * The last value decrypted per key is reused while Redis holds the same
 * ciphertext: one decryption per entry, not one per read.
 */
export class RedisJsonCache<T> {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #cipher: AtRestCipher;
  readonly #decrypted = new LRUCache<string, { raw: string; value: T }>({ max: 1_000 });

  constructor(connection: RedisConnection, prefix: string, cipher: AtRestCipher) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#cipher = cipher;
  }

  async get(key: string): Promise<T | undefined> {
    const raw = await this.#connection.run('cache.get', (c) => c.get(this.#prefix + key));
    if (raw === null || raw === undefined) return undefined;
    const cached = this.#decrypted.get(key);
    if (cached?.raw === String(raw)) return cached.value;
    const plaintext = this.#cipher.open(String(raw), this.#prefix + key);
    if (plaintext === undefined) return undefined;
    try {
      const value = JSON.parse(plaintext) as T;
      this.#decrypted.set(key, { raw: String(raw), value });
      return value;
    } catch {
      return undefined;
    }
  }

  async set(key: string, entry: T, ttlSeconds: number): Promise<void> {
    const value = this.#cipher.seal(JSON.stringify(entry), this.#prefix + key);
    const expiry = ttlMs(ttlSeconds);
    await this.#connection.run('cache.set', (c) =>
      c.set(this.#prefix + key, value, { expiration: { type: 'PX', value: expiry } }),
    );
  }

  async delete(key: string): Promise<void> {
    this.#decrypted.delete(key);
    await this.#connection.run('cache.delete', (c) => c.del(this.#prefix + key));
  }
}

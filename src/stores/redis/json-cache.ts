import type { RedisConnection } from './connection.js';

/**
 * JSON values with a time to live under one key prefix. Fits the M2M token
 * cache shape `get(key)`, `set(key, entry, ttlSeconds)`, `delete(key)`.
 * Failures reject with `RedisUnavailableError` (bounded); a cache user may
 * treat that as a miss. Unparsable values read as a miss.
 */
export class RedisJsonCache<T> {
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  constructor(connection: RedisConnection, prefix: string) {
    this.#connection = connection;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<T | undefined> {
    const raw = await this.#connection.run('cache.get', (c) => c.get(this.#prefix + key));
    if (raw === null || raw === undefined) return undefined;
    try {
      return JSON.parse(String(raw)) as T;
    } catch {
      return undefined;
    }
  }

  async set(key: string, entry: T, ttlSeconds: number): Promise<void> {
    const value = JSON.stringify(entry);
    const ttlMs = Math.max(1, Math.ceil(ttlSeconds * 1000));
    await this.#connection.run('cache.set', (c) =>
      c.set(this.#prefix + key, value, { expiration: { type: 'PX', value: ttlMs } }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#connection.run('cache.delete', (c) => c.del(this.#prefix + key));
  }
}

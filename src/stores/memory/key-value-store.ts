/**
 * The storage both sessions and token sets live in: memory by default, Redis
 * when `REDIS_URL` is set. Values are strings (JSON); every entry expires.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Extends the time to live of an existing entry. */
  touch(key: string, ttlSeconds: number): Promise<void>;
  /** Resolves when the store answers; used by `/readyz`. */
  ping(): Promise<void>;
}

/**
 * Times to live, written once for every store: a store's caller gives seconds;
 * Redis and lru-cache want whole seconds or milliseconds, never zero (zero
 * would mean "no expiry" to lru-cache and an error to Redis).
 */
import { LRUCache } from 'lru-cache';

/** Whole seconds, at least one (Redis `EX`). */
export function ttlSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}

/** Milliseconds, at least `minMs` (Redis `PX`, lru-cache `ttl`). */
export function ttlMs(seconds: number, minMs = 1): number {
  return Math.max(minMs, Math.ceil(seconds * 1000));
}

/**
 * A bounded in-memory map whose entries expire one by one: each `set` names
 * its own time to live; `defaultTtlMs` only covers a `set` that names none.
 */
export function expiringLru<V extends NonNullable<unknown>>(
  max: number,
  defaultTtlMs = 24 * 60 * 60 * 1000,
): LRUCache<string, V> {
  return new LRUCache<string, V>({ max, ttlAutopurge: true, ttl: defaultTtlMs });
}

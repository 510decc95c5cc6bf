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

/** How often expired entries of the in-memory stores are dropped (a read never sees one anyway). */
const PURGE_INTERVAL_MS = 60_000;

/** The caches `expiringLru` made, weakly held: a cache nobody uses any more is not kept alive by the purge. */
const purged = new Set<WeakRef<{ purgeStale(): boolean }>>();
let purgeTimer: NodeJS.Timeout | undefined;

function purgeAll(): void {
  for (const ref of purged) {
    const cache = ref.deref();
    if (cache) cache.purgeStale();
    else purged.delete(ref);
  }
  if (purged.size === 0) {
    clearInterval(purgeTimer);
    purgeTimer = undefined;
  }
}

/**
 * A bounded in-memory map whose entries expire one by one: each `set` names
 * its own time to live; `defaultTtlMs` only covers a `set` that names none;
 * `dispose` is told of every entry that leaves (expired, evicted, deleted).
 *
 * An expired entry is never returned (lru-cache checks the time on every read);
 * it is dropped from memory by one purge a minute for all such caches, rather than
 * by lru-cache's `ttlAutopurge`, which keeps a timer per entry: a timer object,
 * a closure and its context for every session in every store.
 */
export function expiringLru<V extends NonNullable<unknown>>(
  max: number,
  defaultTtlMs = 24 * 60 * 60 * 1000,
  dispose?: LRUCache.Disposer<string, V>,
): LRUCache<string, V> {
  const cache = new LRUCache<string, V>({ max, ttl: defaultTtlMs, ...(dispose && { dispose }) });
  purged.add(new WeakRef(cache));
  // unref: the purge never keeps the process alive.
  purgeTimer ??= setInterval(purgeAll, PURGE_INTERVAL_MS).unref();
  return cache;
}

/**
 * The records every API call reads (its session and its token set), answered
 * from this process while Redis has not reported a change.
 *
 * node-redis's client-side cache already spares the round trip: Redis tracks
 * the keys this connection read (RESP3 `CLIENT TRACKING`) and pushes an
 * invalidation when any client changes or expires one. But a cache hit still
 * runs a whole command through the client (arguments, cache key, a copy of
 * the value with `structuredClone`) and the bounded-call timer; on the /api
 * path that was most of what Redis still cost per call (docs/benchmark.md).
 * This map holds the same values behind the same invalidations: the client's
 * cache is subclassed, so whatever empties or invalidates it (a push from
 * Redis, a dropped or closed connection) does the same here, before any reply
 * that follows on the connection is handled. No library offers this, hence
 * the few lines below.
 *
 * A read that was on its way while any invalidation arrived is not kept: its
 * value may predate the change.
 */
import { BasicClientSideCache } from 'redis';

export class TrackedReads {
  readonly #values = new Map<string, string>();
  readonly #maxEntries: number;
  /** Counts invalidations, so a read can tell whether one arrived while it was on its way. */
  #epoch = 0;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** A key changed in Redis (`null`: every key, e.g. the connection dropped). */
  invalidate(key: string | null): void {
    this.#epoch += 1;
    if (key === null) this.#values.clear();
    else this.#values.delete(key);
  }

  /** The value of `key`: kept, or read with `fetch` (a GET through the tracking connection) and kept. */
  async read(key: string, fetch: () => Promise<unknown>): Promise<string | undefined> {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    const epoch = this.#epoch;
    const reply = await fetch();
    if (reply === null || reply === undefined) return undefined;
    const value = String(reply);
    if (epoch === this.#epoch) {
      this.#values.set(key, value);
      // Bounded: the entry read first leaves first (a Map iterates in insertion order); a busy
      // session pushed out is read once more, which costs less than reordering on every hit.
      if (this.#values.size > this.#maxEntries) this.#values.delete(this.#values.keys().next().value as string);
    }
    return value;
  }
}

/** node-redis's client-side cache, telling `reads` of every invalidation and every emptying. */
export class TrackingClientSideCache extends BasicClientSideCache {
  readonly reads: TrackedReads;

  constructor(maxEntries: number) {
    super({ maxEntries, recordStats: false });
    this.reads = new TrackedReads(maxEntries);
  }

  override invalidate(key: Parameters<BasicClientSideCache['invalidate']>[0]): void {
    // `null` (every key) reaches `clear` below.
    if (key !== null) this.reads.invalidate(String(key));
    super.invalidate(key);
  }

  override clear(resetStats?: boolean): void {
    this.reads.invalidate(null);
    super.clear(resetStats);
  }
}

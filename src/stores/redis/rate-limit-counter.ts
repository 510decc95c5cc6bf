/**
 * Rate-limit counters shared through Redis, counted here first and added to
 * Redis in batches: an express-rate-limit `Store` for web/rate-limit.ts.
 *
 * Why not rate-limit-redis: it runs one script per counted request, and on
 * the /api path that was the one Redis round trip every proxied call still
 * paid once sessions and tokens came from the client-side cache
 * (docs/benchmark.md). No library counts in batches, so this is written here.
 *
 * Each instance keeps, per key, the total Redis last reported (every
 * instance's hits) and the hits it has counted since. Every {@link FLUSH_MS}
 * it adds those hits to Redis in one pipeline, and each reply brings the
 * others' hits back. A hit is answered from memory while that total is at
 * most {@link FRESH_MS} old; a key's first hit on this instance, or one after
 * a quiet spell, waits for a flush instead. So one instance counts exactly
 * (a flush whose reply times out is sent again, so it may count twice: the
 * error is on the safe side), and with several an answer can miss another
 * instance's hits for at most FRESH_MS plus two flushes (that instance's hit
 * waits for its next flush, which may have to wait for one already on its
 * way), about 400 ms plus Redis round trips: a client spreading its calls over
 * instances can pass a limit by at most what it sends to the other instances
 * in that time. The README says so.
 *
 * The window is fixed, as rate-limit-redis's: it starts with a key's first hit
 * in Redis and ends when Redis expires the key (PEXPIRE), which ends it here too.
 */
import type { IncrementResponse, Options, Store } from 'express-rate-limit';
import { RedisUnavailableError, type RedisConnection } from './connection.js';

/** How often counted hits are added to Redis. */
export const FLUSH_MS = 100;
/** How old Redis' total may be for a hit to be answered without waiting for Redis. */
export const FRESH_MS = 2 * FLUSH_MS;

/** Adds ARGV[1] hits; starts the window (ARGV[2] ms) on a new key. Returns the total and the ms left. */
const ADD_SCRIPT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { total, ttl }
`;

/** One key in the current window. */
interface Count {
  /** The total Redis reported last (every instance's hits, this one's included). */
  shared: number;
  /** When Redis reported it, and when sending this key's hits last failed (epoch ms; 0 = not yet). */
  seenAt: number;
  failedAt: number;
  /** Hits counted here that are on their way to Redis. */
  sending: number;
  /** Hits counted here since. */
  local: number;
  /** When the window ends (epoch ms), and the same as a Date for the limiter. */
  resetAt: number;
  reset: Date;
}

function answer(count: Count): IncrementResponse {
  return { totalHits: count.shared + count.sending + count.local, resetTime: count.reset };
}

export class BatchedRedisCounter implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  readonly #connection: RedisConnection;
  readonly #counts = new Map<string, Count>();
  #windowMs = 60_000;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #lastError: unknown;

  constructor(connection: RedisConnection, prefix: string) {
    this.#connection = connection;
    this.prefix = prefix;
  }

  init(options: Pick<Options, 'windowMs'>): void {
    this.#windowMs = options.windowMs;
  }

  increment(key: string): IncrementResponse | Promise<IncrementResponse> {
    const now = Date.now();
    let count = this.#counts.get(key);
    if (!count || now >= count.resetAt) {
      // Until Redis answers, the window is assumed to start now.
      const resetAt = now + this.#windowMs;
      count = { shared: 0, seenAt: 0, failedAt: 0, sending: 0, local: 0, resetAt, reset: new Date(resetAt) };
      this.#counts.set(key, count);
    }
    count.local += 1;
    if (now - count.seenAt <= FRESH_MS) {
      this.#schedule();
      return answer(count);
    }
    return this.#fresh(key, count, now);
  }

  decrement(key: string): void {
    const count = this.#counts.get(key);
    if (count) {
      count.local -= 1;
      this.#schedule();
    }
  }

  async resetKey(key: string): Promise<void> {
    this.#counts.delete(key);
    await this.#connection.run('rate limit', (client) => client.del(this.prefix + key));
  }

  /** Adds every hit counted so far to Redis (the timer does this every FLUSH_MS; tests call it directly). */
  flush(): Promise<void> {
    this.#flushing ??= this.#send().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  shutdown(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends what is counted and stops the timer (the app is closing). */
  async close(): Promise<void> {
    await this.flush();
    this.shutdown();
  }

  /** The answer once Redis has reported a total newer than `since`. */
  async #fresh(key: string, count: Count, since: number): Promise<IncrementResponse> {
    // Each round joins the flush on its way (which may have left before this hit) or starts one,
    // which carries it. A flush that carried it and failed is not retried: each try waits up to
    // the connection's timeout.
    for (let round = 0; round < 2 && count.seenAt < since && count.failedAt < since; round += 1) {
      await this.flush();
      // The window ended meanwhile (or the key was reset) and took this hit with it: count it in the new one.
      if (this.#counts.get(key) !== count) return this.increment(key);
    }
    if (count.seenAt < since) {
      throw this.#lastError instanceof RedisUnavailableError
        ? this.#lastError
        : new RedisUnavailableError('rate limit', this.#lastError);
    }
    return answer(count);
  }

  /**
   * The timer runs while there are hits to send (increment and decrement start it); each run
   * also forgets the windows that have ended, so the map holds the keys of the current window.
   */
  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush().then(() => {
        for (const count of this.#counts.values()) {
          if (count.local !== 0) {
            this.#schedule();
            return;
          }
        }
      });
    }, FLUSH_MS);
    this.#timer.unref();
  }

  async #send(): Promise<void> {
    const now = Date.now();
    const batch: Array<[string, Count, number]> = [];
    for (const [key, count] of this.#counts) {
      if (now >= count.resetAt) {
        // The window has ended in Redis too (the key expired): its unsent hits belong to no window.
        this.#counts.delete(key);
      } else if (count.local !== 0) {
        batch.push([key, count, count.local]);
        count.sending += count.local;
        count.local = 0;
      }
    }
    // Issued in the same tick, the scripts go to Redis as one pipeline.
    await Promise.all(batch.map(([key, count, hits]) => this.#add(key, count, hits)));
  }

  async #add(key: string, count: Count, hits: number): Promise<void> {
    try {
      const reply = (await this.#connection.evalScript(
        'rate limit',
        ADD_SCRIPT,
        [this.prefix + key],
        [String(hits), String(this.#windowMs)],
      )) as [number, number];
      // Redis' total now holds these hits, and every other instance's so far.
      count.sending -= hits;
      count.shared = Number(reply[0]);
      count.seenAt = Date.now();
      count.resetAt = count.seenAt + Number(reply[1]);
      count.reset = new Date(count.resetAt);
    } catch (err) {
      // Redis unreachable (the connection counts the error): keep the hits and send them next time.
      this.#lastError = err;
      count.failedAt = Date.now();
      count.sending -= hits;
      count.local += hits;
    }
  }
}

/** The factory web/rate-limit.ts takes: one counter per bucket, under `<prefix>rl:<name>:`; `close` sends what is counted. */
export function redisRateLimitStore(
  connection: RedisConnection,
): ((name: string) => Store) & { close(): Promise<void> } {
  const counters: BatchedRedisCounter[] = [];
  const store = (name: string): Store => {
    const counter = new BatchedRedisCounter(connection, `${connection.keyPrefix}rl:${name}:`);
    counters.push(counter);
    return counter;
  };
  return Object.assign(store, {
    close: async () => {
      await Promise.all(counters.map((counter) => counter.close()));
    },
  });
}

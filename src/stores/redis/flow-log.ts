/**
 * The per-session flow log in Redis: a list `<prefix>flow:<sessionId>` holding
 * the last 60 events, expiring with the session.
 *
 * `append` never waits for Redis and never costs a command per event: events
 * are queued in this process and written together every `batchMs`, one Lua
 * script per session (RPUSH of the batch + LTRIM + PEXPIRE, atomic and subject
 * to the fail-fast offline check, unlike MULTI). A busy session's API calls thus
 * cost one write per batch instead of one per call. Reading a session's log here
 * first writes what is still queued for it, so this instance always sees its own
 * events; another instance sees them at most `batchMs` later. Failures are
 * logged at debug and otherwise ignored: the log is an explanation, not state.
 */
import { MAX_FLOW_EVENTS, type FlowEvent, type FlowLog } from '../../flow/flow-log.js';
import type { LoginTrace } from '../../session/session-data.js';
import type { RedisConnection } from './connection.js';
import { ttlMs } from '../ttl.js';

/** KEYS[1] list key; ARGV[1] max length, ARGV[2] TTL in ms, ARGV[3..] events as JSON, oldest first. */
const APPEND = `
redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

export function flowLogKey(keyPrefix: string, sessionId: string): string {
  return `${keyPrefix}flow:${sessionId}`;
}

function loginTraceKey(keyPrefix: string, sessionId: string): string {
  return `${keyPrefix}trace:${sessionId}`;
}

export class RedisFlowLog implements FlowLog {
  readonly #redis: RedisConnection;
  readonly #ttlMs: number;
  readonly #batchMs: number;
  /**
   * Session id → events not yet written, oldest first, never more than the log keeps. They are
   * turned into JSON when written: a busy session makes more calls per batch than the log keeps,
   * and an event pushed out before then is never serialised.
   */
  readonly #queued = new Map<string, FlowEvent[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: RedisConnection, options: { ttlSeconds: number; batchMs?: number }) {
    this.#redis = redis;
    this.#ttlMs = ttlMs(options.ttlSeconds, 1000);
    this.#batchMs = options.batchMs ?? 250;
  }

  append(sessionId: string, event: FlowEvent): void {
    let queue = this.#queued.get(sessionId);
    if (queue === undefined) {
      queue = [];
      this.#queued.set(sessionId, queue);
    }
    queue.push(event);
    if (queue.length > MAX_FLOW_EVENTS) queue.shift();
    // unref: a pending batch never keeps the process alive; close() writes it.
    this.#timer ??= setTimeout(() => void this.flush(), this.#batchMs).unref();
  }

  /** Writes every queued event now (the timer calls it; so does closing the connection). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches = [...this.#queued];
    this.#queued.clear();
    await Promise.all(batches.map(([sessionId, events]) => this.#write(sessionId, events)));
  }

  #write(sessionId: string, events: readonly FlowEvent[]): Promise<void> {
    const key = flowLogKey(this.#redis.keyPrefix, sessionId);
    const args = [String(MAX_FLOW_EVENTS), String(this.#ttlMs)];
    for (const event of events) args.push(JSON.stringify(event));
    return this.#redis.evalScript('flow.append', APPEND, [key], args).then(
      () => undefined,
      (err: unknown) => {
        this.#redis.logger.debug({ error: err instanceof Error ? err.message : String(err) }, 'flow log append failed');
      },
    );
  }

  async list(sessionId: string): Promise<readonly FlowEvent[]> {
    const queued = this.#queued.get(sessionId);
    if (queued !== undefined) {
      this.#queued.delete(sessionId);
      await this.#write(sessionId, queued);
    }
    const raw = await this.#redis.run('flow.list', (c) =>
      c.lRange(flowLogKey(this.#redis.keyPrefix, sessionId), 0, -1),
    );
    const events: FlowEvent[] = [];
    for (const item of raw) {
      try {
        events.push(JSON.parse(String(item)) as FlowEvent);
      } catch {
        // Skip an unreadable entry rather than lose the whole log.
      }
    }
    return events;
  }

  async saveLoginTrace(sessionId: string, trace: LoginTrace): Promise<void> {
    const key = loginTraceKey(this.#redis.keyPrefix, sessionId);
    await this.#redis.run('flow.trace.save', (c) => c.set(key, JSON.stringify(trace), { PX: this.#ttlMs }));
  }

  async loginTrace(sessionId: string): Promise<LoginTrace | undefined> {
    const raw = await this.#redis.run('flow.trace.get', (c) => c.get(loginTraceKey(this.#redis.keyPrefix, sessionId)));
    if (typeof raw !== 'string') return undefined;
    try {
      return JSON.parse(raw) as LoginTrace;
    } catch {
      return undefined;
    }
  }

  async delete(sessionId: string): Promise<void> {
    this.#queued.delete(sessionId);
    await this.#redis.run('flow.delete', (c) =>
      c.del([flowLogKey(this.#redis.keyPrefix, sessionId), loginTraceKey(this.#redis.keyPrefix, sessionId)]),
    );
  }
}

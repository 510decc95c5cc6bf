/**
 * The per-session flow log in Redis: a list `<prefix>flow:<sessionId>` holding
 * the last 60 events, expiring with the session.
 *
 * `append` is fire-and-forget: one Lua script (RPUSH + LTRIM + PEXPIRE, atomic
 * and subject to the fail-fast offline check, unlike MULTI), never awaited on
 * the request path; failures are logged at debug and otherwise ignored.
 */
import { MAX_FLOW_EVENTS, type FlowEvent, type FlowLog } from '../../flow/flow-log.js';
import type { LoginTrace } from '../../session/session-data.js';
import type { RedisConnection } from './connection.js';
import { ttlMs } from '../ttl.js';

/** KEYS[1] list key; ARGV[1] event JSON, ARGV[2] max length, ARGV[3] TTL in ms. */
const APPEND = `
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
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

  constructor(redis: RedisConnection, options: { ttlSeconds: number }) {
    this.#redis = redis;
    this.#ttlMs = ttlMs(options.ttlSeconds, 1000);
  }

  append(sessionId: string, event: FlowEvent): void {
    const key = flowLogKey(this.#redis.keyPrefix, sessionId);
    this.#redis
      .evalScript('flow.append', APPEND, [key], [JSON.stringify(event), String(MAX_FLOW_EVENTS), String(this.#ttlMs)])
      .catch((err: unknown) => {
        this.#redis.logger.debug({ error: err instanceof Error ? err.message : String(err) }, 'flow log append failed');
      });
  }

  async list(sessionId: string): Promise<readonly FlowEvent[]> {
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
    await this.#redis.run('flow.delete', (c) =>
      c.del([flowLogKey(this.#redis.keyPrefix, sessionId), loginTraceKey(this.#redis.keyPrefix, sessionId)]),
    );
  }
}

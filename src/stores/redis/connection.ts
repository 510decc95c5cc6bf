/**
 * The app's one Redis (or Valkey) connection and the rules every call obeys:
 * - Redis down: every command fails at once (no offline queue) with a 503
 *   `RedisUnavailableError`; nothing waits for Redis to come back.
 * - Redis slow: every command is bounded by the command timeout. The client's
 *   own timeout only covers commands not yet written to the socket, so each
 *   call is also raced against a timer here.
 * - Reconnects run in the background with capped backoff, so the same cookies
 *   work again once Redis is back, without a restart.
 * - The URL may hold a password: it is never logged.
 */
import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { SessionStoreUnavailableError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { metrics } from '../../observability/metrics.js';
import type { TrackedReads } from './tracked-reads.js';

export type RedisClient = RedisClientType;

/** GET and DEL in one step (GETDEL needs Redis 6.2): KEYS[1]'s value, now removed, or nil. */
export const TAKE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then redis.call('DEL', KEYS[1]) end
return current
`;

/** Redis could not be reached or did not answer in time: a 503 for the visitor, details in `cause`. */
export class RedisUnavailableError extends SessionStoreUnavailableError {
  readonly operation: string;
  constructor(operation: string, cause: unknown) {
    super(cause);
    this.name = 'RedisUnavailableError';
    this.operation = operation;
  }
}

/** A Redis call that did not complete within the bound. */
class RedisTimeoutError extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`Redis ${operation} did not answer within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * What the stores need from the connection: bounded calls and Lua scripts.
 * Every failure (offline, closed, timeout, error reply) becomes a `RedisUnavailableError`.
 */
export interface RedisConnection {
  readonly keyPrefix: string;
  readonly logger: Logger;
  run<T>(operation: string, command: (client: RedisClient) => Promise<T>): Promise<T>;
  /** EVALSHA with a fallback to EVAL when the server does not know the script yet. */
  evalScript(operation: string, source: string, keys: string[], args: string[]): Promise<unknown>;
  /**
   * GET of a record read on every API call: kept in this process until Redis reports a change
   * when the client-side cache is on (tracked-reads.ts), else a bounded GET each time.
   */
  readRecord(operation: string, key: string): Promise<string | undefined>;
}

export class BoundedRedisConnection implements RedisConnection {
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #sha1 = new Map<string, string>();
  readonly #tracked: TrackedReads | undefined;

  constructor(client: RedisClient, keyPrefix: string, logger: Logger, timeoutMs: number, tracked?: TrackedReads) {
    this.#client = client;
    this.keyPrefix = keyPrefix;
    this.logger = logger;
    this.#timeoutMs = timeoutMs;
    this.#tracked = tracked;
  }

  readRecord(operation: string, key: string): Promise<string | undefined> {
    const get = () => this.run(operation, (client) => client.get(key));
    if (this.#tracked) return this.#tracked.read(key, get);
    return get().then((reply) => (reply === null || reply === undefined ? undefined : String(reply)));
  }

  async run<T>(operation: string, command: (client: RedisClient) => Promise<T>): Promise<T> {
    // Checked here as well: MULTI and a few other paths ignore `disableOfflineQueue`.
    if (!this.#client.isReady) throw new RedisUnavailableError(operation, new Error('Redis is not connected'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(operation, this.#timeoutMs)), this.#timeoutMs);
    });
    try {
      // A late reply or rejection after the timeout is absorbed by `race`.
      return await Promise.race([command(this.#client), timeout]);
    } catch (err) {
      metrics.redisErrors.inc({ kind: 'command' });
      throw err instanceof RedisUnavailableError ? err : new RedisUnavailableError(operation, err);
    } finally {
      clearTimeout(timer);
    }
  }

  async evalScript(operation: string, source: string, keys: string[], args: string[]): Promise<unknown> {
    let sha1 = this.#sha1.get(source);
    if (sha1 === undefined) {
      sha1 = createHash('sha1').update(source).digest('hex');
      this.#sha1.set(source, sha1);
    }
    const hash = sha1;
    return this.run(operation, async (client) => {
      try {
        return await client.evalSha(hash, { keys, arguments: args });
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return client.eval(source, { keys, arguments: args });
      }
    });
  }
}

export type ConnectionState = 'connecting' | 'ready' | 'down' | 'closed';

export function describeError(err: unknown): { error: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string'
      ? { error: `${err.name}: ${err.message}`, code }
      : { error: `${err.name}: ${err.message}` };
  }
  return { error: String(err) };
}

/** Host and port only: the URL may carry credentials. */
export function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

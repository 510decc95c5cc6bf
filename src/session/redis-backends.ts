/**
 * Everything that lives in Redis (or Valkey) when `REDIS_URL` is set: sessions,
 * token sets, the per-session refresh lock, the flow log and small JSON caches.
 * One client per app instance serves them all.
 *
 * Rules enforced here (SECURITY-CHECKLIST D6, issue 6 "Faults"):
 * - Redis down → every command fails at once (no offline queue) with a 503
 *   `SessionStoreUnavailableError`; nothing waits for Redis to come back.
 * - Redis slow → every command is bounded by `commandTimeoutMs`. The client's
 *   own command timeout only covers commands not yet written to the socket, so
 *   each call is also raced against a timer here.
 * - Reconnects run in the background with capped backoff, so the same cookies
 *   work again once Redis is back, without a restart.
 * - Connection state changes are logged once each, never once per retry, and an
 *   `error` listener is always attached so a Redis error never crashes the process.
 * - The URL may hold a password: it is never logged.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisStore } from 'connect-redis';
import type session from 'express-session';
import { createClient, type RedisClientType } from 'redis';
import { SessionStoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FlowLog } from './flow-log.js';
import { RedisFlowLog } from './redis-flow-log.js';
import { RedisRefreshLock } from './redis-refresh-lock.js';
import { RedisTokenStore } from './redis-token-store.js';
import type { RefreshLock } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';

export type RedisClient = RedisClientType;

export interface RedisBackendsOptions {
  /** `redis://` or `rediss://` URL (Valkey works the same). Never logged. */
  readonly url: string;
  /** Prepended to every key; default `oidc-bff:`. */
  readonly keyPrefix?: string;
  /** Session lifetime: fallback TTL of session records and TTL of flow logs. */
  readonly sessionTtlSeconds: number;
  readonly logger: Logger;
  /** Expiry of a refresh lock; keep it above the OIDC request timeout. Default 10 000. */
  readonly lockTtlMs?: number;
  /** How long a request waits for another instance's refresh. Default 12 000. */
  readonly lockWaitMs?: number;
  /** Upper bound of any single Redis call. Default 2 000. */
  readonly commandTimeoutMs?: number;
  /** Cap of the reconnect backoff. Default 2 000. */
  readonly reconnectMaxDelayMs?: number;
  /** How long `createRedisBackends` waits for the first connection before returning anyway. Default `commandTimeoutMs`. */
  readonly initialConnectWaitMs?: number;
}

export interface RedisBackends {
  readonly client: RedisClient;
  /** connect-redis store with prefix `<keyPrefix>sess:`; TTL follows the cookie's maxAge. */
  readonly sessionStore: session.Store;
  readonly tokenStore: TokenStore;
  readonly refreshLock: RefreshLock;
  readonly flowLog: FlowLog;
  /** A JSON cache under `<keyPrefix><namespace>:` (e.g. shared M2M tokens). */
  jsonCache<T>(namespace: string): RedisJsonCache<T>;
  /** True while the connection is up. */
  readonly connected: boolean;
  /** Resolves when Redis answers PING within the command timeout; for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

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
export class RedisTimeoutError extends Error {
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
}

class BoundedRedisConnection implements RedisConnection {
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly #client: RedisClient;
  readonly #timeoutMs: number;
  readonly #sha1 = new Map<string, string>();

  constructor(client: RedisClient, keyPrefix: string, logger: Logger, timeoutMs: number) {
    this.#client = client;
    this.keyPrefix = keyPrefix;
    this.logger = logger;
    this.#timeoutMs = timeoutMs;
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

/**
 * The subset of the client connect-redis 9 calls, each call bounded and failing
 * fast, so express-session gets an error from `get` at once when Redis is down
 * (session-middleware.ts turns it into a 503).
 */
function sessionClient(connection: RedisConnection, client: RedisClient) {
  type SetOptions = Parameters<RedisClient['set']>[2];
  return {
    get: (key: string) => connection.run('session.get', (c) => c.get(key)),
    set: (key: string, value: string, options?: SetOptions) => connection.run('session.set', (c) => c.set(key, value, options)),
    expire: (key: string, seconds: number) => connection.run('session.touch', (c) => c.expire(key, seconds)),
    del: (keys: string[]) => connection.run('session.destroy', (c) => c.del(keys)),
    mGet: (keys: string[]) => connection.run('session.all', (c) => c.mGet(keys)),
    // Only used by the store's admin helpers (clear/length/ids/all), never on a request.
    scanIterator: (options: { MATCH: string; COUNT: number }) => client.scanIterator(options),
  };
}

type ConnectionState = 'connecting' | 'ready' | 'down' | 'closed';

function describeError(err: unknown): { error: string; code?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { error: `${err.name}: ${err.message}`, code } : { error: `${err.name}: ${err.message}` };
  }
  return { error: String(err) };
}

/** Host and port only: the URL may carry credentials. */
function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** Capped exponential backoff with jitter: 100, 200, 400 … up to `maxDelayMs`. */
export function reconnectDelay(retries: number, maxDelayMs: number): number {
  const base = Math.min(maxDelayMs, 100 * 2 ** Math.min(retries, 16));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

export async function createRedisBackends(options: RedisBackendsOptions): Promise<RedisBackends> {
  const keyPrefix = options.keyPrefix ?? 'oidc-bff:';
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  const reconnectMaxDelayMs = options.reconnectMaxDelayMs ?? 2_000;
  const logger = options.logger;
  const target = safeTarget(options.url);

  const client: RedisClient = createClient({
    url: options.url,
    socket: {
      connectTimeout: commandTimeoutMs,
      reconnectStrategy: (retries) => reconnectDelay(retries, reconnectMaxDelayMs),
    },
    // Fail fast while disconnected instead of queueing commands until Redis is back.
    disableOfflineQueue: true,
    // Bounds the time a command may wait in the client's queue before it is written.
    commandOptions: { timeout: commandTimeoutMs },
    // Bounded memory if Redis stops answering while the socket stays open.
    commandsQueueMaxLength: 10_000,
    // Redis Enterprise only; 'auto' would also resolve the host name on every connect.
    maintNotifications: 'disabled',
  });

  let state: ConnectionState = 'connecting';
  let downSince = 0;
  client.on('ready', () => {
    if (state === 'down') {
      logger.info({ redis: target, downForMs: Date.now() - downSince }, 'Redis connection restored');
    } else if (state === 'connecting') {
      logger.info({ redis: target }, 'Redis connected');
    }
    if (state !== 'closed') state = 'ready';
  });
  // Always present: without an `error` listener an EventEmitter error would crash the process.
  client.on('error', (err: unknown) => {
    if (state === 'closed') return;
    if (client.isReady) {
      logger.warn({ redis: target, ...describeError(err) }, 'Redis error');
      return;
    }
    if (state === 'ready' || state === 'connecting') {
      logger.warn(
        { redis: target, ...describeError(err) },
        state === 'ready'
          ? 'Redis connection lost: session requests answer 503 while reconnecting in the background'
          : 'Redis not reachable yet: session requests answer 503 while connecting in the background',
      );
      state = 'down';
      downSince = Date.now();
    }
    // Retries while down stay silent: one line per state change.
  });

  const connecting = client.connect();
  connecting.catch(() => {
    // Errors are reported through the `error` event; close() during a retry also lands here.
  });
  const waitMs = options.initialConnectWaitMs ?? commandTimeoutMs;
  const abortWait = new AbortController();
  await Promise.race([connecting.then(() => undefined, () => undefined), delay(waitMs, undefined, { signal: abortWait.signal }).catch(() => undefined)]);
  abortWait.abort();

  const connection = new BoundedRedisConnection(client, keyPrefix, logger, commandTimeoutMs);
  const sessionStore = new RedisStore({
    client: sessionClient(connection, client),
    prefix: `${keyPrefix}sess:`,
    // Used only when a session has no cookie expiry; otherwise connect-redis follows the cookie.
    ttl: Math.max(1, Math.ceil(options.sessionTtlSeconds)),
  });
  const tokenStore = new RedisTokenStore(connection);
  const refreshLock = new RedisRefreshLock(connection, {
    ttlMs: options.lockTtlMs ?? 10_000,
    waitMs: options.lockWaitMs ?? 12_000,
  });
  const flowLog = new RedisFlowLog(connection, { ttlSeconds: options.sessionTtlSeconds });

  return {
    client,
    sessionStore,
    tokenStore,
    refreshLock,
    flowLog,
    jsonCache: <T>(namespace: string) => new RedisJsonCache<T>(connection, `${keyPrefix}${namespace}:`),
    get connected() {
      return client.isReady;
    },
    async ping() {
      await connection.run('ping', (c) => c.ping());
    },
    async close() {
      if (state === 'closed') return;
      state = 'closed';
      try {
        const closing = client.close();
        const timedOut = Symbol('timeout');
        const result = await Promise.race([closing, delay(commandTimeoutMs, timedOut, { ref: false })]);
        if (result === timedOut) client.destroy();
      } catch {
        client.destroy();
      }
      logger.info({ redis: target }, 'Redis connection closed');
    },
  };
}

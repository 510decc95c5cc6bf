/**
 * Everything that lives in Redis (or Valkey) when `REDIS_URL` is set: sessions,
 * token sets, the per-session refresh lock, the flow log and small JSON caches.
 * One client per app instance serves them all.
 *
 * Rules enforced here (README, "Redis"):
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
import { setTimeout as delay } from 'node:timers/promises';
import { RedisStore } from 'connect-redis';
import type session from 'express-session';
import { createClient } from 'redis';
import {
  BoundedRedisConnection,
  describeError,
  safeTarget,
  type ConnectionState,
  type RedisClient,
  type RedisConnection,
} from './connection.js';
import { AtRestCipher } from './at-rest-cipher.js';
import { RedisJsonCache } from './json-cache.js';
import type { Logger } from '../../logger.js';
import type { FlowLog } from '../../flow/flow-log.js';
import { RedisFlowLog } from './flow-log.js';
import { RedisRefreshLock } from './refresh-lock.js';
import { RedisTokenStore } from './token-store.js';
import { RedisReplayCache } from './replay-cache.js';
import { RedisLoginIndex } from './login-index.js';
import { TrackingClientSideCache } from './tracked-reads.js';
import type { LoginIndex } from '../../tokens/login-index.js';
import type { ReplayCache } from '../../oidc/backchannel-logout.js';
import type { RefreshLock } from '../../tokens/refresh-lock.js';
import type { StoredSessionRecords } from '../../session/session-reader.js';
import type { TokenStore } from '../../tokens/token-store.js';
import { backoffDelay } from '../../retry.js';
import { metrics } from '../../observability/metrics.js';
import { ttlSeconds } from '../ttl.js';

export interface RedisBackendsOptions {
  /** `redis://` or `rediss://` URL (Valkey works the same). Never logged. */
  readonly url: string;
  /** Prepended to every key; default `oidc-bff:`. */
  readonly keyPrefix?: string;
  /** Session lifetime: fallback TTL of session records and TTL of flow logs. */
  readonly sessionTtlSeconds: number;
  readonly logger: Logger;
  /** Keys that encrypt token sets and cached M2M tokens (64 hex characters each); the first encrypts, all decrypt. */
  readonly encryptionKeys: readonly string[];
  /** Expiry of a refresh lock, extended while its holder works (refresh-lock.ts). Default 10 000. */
  readonly lockTtlMs?: number;
  /** How long a request waits for another instance's refresh. Default 12 000. */
  readonly lockWaitMs?: number;
  /** Upper bound of any single Redis call. Default 2 000. */
  readonly commandTimeoutMs?: number;
  /** Cap of the reconnect backoff. Default 2 000. */
  readonly reconnectMaxDelayMs?: number;
  /**
   * Server-assisted client-side caching (Redis 6+, RESP3): records this process read stay in memory
   * until Redis reports a change, so a hot session costs no round trip. Default true; `false` for
   * servers or proxies without `CLIENT TRACKING`.
   */
  readonly clientCache?: boolean;
  /** Most records the client-side cache holds (least recently used leave first). Default 20 000. */
  readonly clientCacheEntries?: number;
  /** How long `createRedisBackends` waits for the first connection before returning anyway. Default `commandTimeoutMs`. */
  readonly initialConnectWaitMs?: number;
}

export interface RedisBackends {
  readonly client: RedisClient;
  /** Bounded commands on the shared connection (e.g. rate-limit counters). */
  readonly connection: RedisConnection;
  /** connect-redis store with prefix `<keyPrefix>sess:`; TTL follows the cookie's maxAge. */
  readonly sessionStore: session.Store;
  readonly tokenStore: TokenStore;
  readonly refreshLock: RefreshLock;
  readonly flowLog: FlowLog;
  /** Encrypts what the stores keep (exposed for tests: its `decryptions` count). */
  readonly cipher: AtRestCipher;
  /** Logout token ids already used (oidc/backchannel-logout.ts). */
  readonly replayCache: ReplayCache;
  /** Logins by the provider's `sid` and `sub` (tokens/login-index.ts). */
  readonly logins: LoginIndex;
  /** An encrypted JSON cache under `<keyPrefix><namespace>:` (e.g. shared M2M tokens). */
  jsonCache<T>(namespace: string): RedisJsonCache<T>;
  /** True while the connection is up. */
  readonly connected: boolean;
  /** Resolves when Redis answers PING within the command timeout; for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The subset of the client connect-redis 9 calls, each call bounded and failing
 * fast, so express-session gets an error from `get` at once when Redis is down
 * (session-middleware.ts turns it into a 503).
 */
function sessionClient(connection: RedisConnection, client: RedisClient) {
  type SetOptions = Parameters<RedisClient['set']>[2];
  return {
    get: (key: string) => connection.readRecord('session.get', key),
    set: (key: string, value: string, options?: SetOptions) =>
      connection.run('session.set', (c) => c.set(key, value, options)),
    expire: (key: string, seconds: number) => connection.run('session.touch', (c) => c.expire(key, seconds)),
    del: (keys: string[]) => connection.run('session.destroy', (c) => c.del(keys)),
    mGet: (keys: string[]) => connection.run('session.all', (c) => c.mGet(keys)),
    // Only used by the store's admin helpers (clear/length/ids/all), never on a request.
    scanIterator: (options: { MATCH: string; COUNT: number }) => client.scanIterator(options),
  };
}

/** connect-redis's store, also giving a record as stored (session-reader.ts parses each stored value once). */
class SessionRedisStore extends RedisStore implements StoredSessionRecords {
  readonly #get: (key: string) => Promise<string | undefined>;

  constructor(client: ReturnType<typeof sessionClient>, prefix: string, ttl: number) {
    // `ttl` is used only when a session has no cookie expiry; otherwise connect-redis follows the cookie.
    super({ client, prefix, ttl });
    this.#get = client.get;
  }

  async storedRecord(sid: string): Promise<string | undefined> {
    return (await this.#get(this.prefix + sid)) || undefined;
  }
}

export async function createRedisBackends(options: RedisBackendsOptions): Promise<RedisBackends> {
  const keyPrefix = options.keyPrefix ?? 'oidc-bff:';
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  const reconnectMaxDelayMs = options.reconnectMaxDelayMs ?? 2_000;
  const logger = options.logger;
  const target = safeTarget(options.url);

  const cache =
    options.clientCache === false ? undefined : new TrackingClientSideCache(options.clientCacheEntries ?? 20_000);
  const client: RedisClient = createClient({
    url: options.url,
    socket: {
      connectTimeout: commandTimeoutMs,
      reconnectStrategy: (retries) => backoffDelay(retries, { firstMs: 100, maxMs: reconnectMaxDelayMs }),
    },
    // Fail fast while disconnected instead of queueing commands until Redis is back.
    disableOfflineQueue: true,
    // Bounds the time a command may wait in the client's queue before it is written.
    commandOptions: { timeout: commandTimeoutMs },
    // Bounded memory if Redis stops answering while the socket stays open.
    commandsQueueMaxLength: 10_000,
    // Redis Enterprise only; 'auto' would also resolve the host name on every connect.
    maintNotifications: 'disabled',
    // Client-side caching needs RESP3 (https://redis.io/docs/latest/develop/reference/client-side-caching/).
    RESP: 3,
    // Every GET this client sends (session and token records) is remembered with the key it read;
    // Redis tracks those keys for this connection and pushes an invalidation when any client
    // changes or expires one, and node-redis drops the entry. The cache is emptied when the
    // connection drops, so nothing read before an outage outlives it. The per-call reads are
    // answered from the same cache's invalidations without a command (tracked-reads.ts).
    ...(cache ? { clientSideCache: cache } : {}),
  });

  let state: ConnectionState = 'connecting';
  let downSince = 0;
  client.on('ready', () => {
    if (state === 'down') {
      logger.info({ redis: target, downForMs: Date.now() - downSince }, 'Redis connection restored');
      metrics.redisReconnects.inc();
    } else if (state === 'connecting') {
      logger.info({ redis: target }, 'Redis connected');
    }
    if (state !== 'closed') state = 'ready';
  });
  // Always present: without an `error` listener an EventEmitter error would crash the process.
  client.on('error', (err: unknown) => {
    if (state === 'closed') return;
    metrics.redisErrors.inc({ kind: 'connection' });
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
  await Promise.race([
    connecting.then(
      () => undefined,
      () => undefined,
    ),
    delay(waitMs, undefined, { signal: abortWait.signal }).catch(() => undefined),
  ]);
  abortWait.abort();

  const connection = new BoundedRedisConnection(client, keyPrefix, logger, commandTimeoutMs, cache?.reads);
  const sessionStore = new SessionRedisStore(
    sessionClient(connection, client),
    `${keyPrefix}sess:`,
    ttlSeconds(options.sessionTtlSeconds),
  );
  const cipher = new AtRestCipher(options.encryptionKeys);
  const tokenStore = new RedisTokenStore(connection, cipher);
  const refreshLock = new RedisRefreshLock(connection, {
    ttlMs: options.lockTtlMs ?? 10_000,
    waitMs: options.lockWaitMs ?? 12_000,
  });
  const flowLog = new RedisFlowLog(connection, { ttlSeconds: options.sessionTtlSeconds });

  return {
    client,
    connection,
    sessionStore,
    tokenStore,
    refreshLock,
    flowLog,
    cipher,
    replayCache: new RedisReplayCache(connection),
    logins: new RedisLoginIndex(connection),
    jsonCache: <T>(namespace: string) => new RedisJsonCache<T>(connection, `${keyPrefix}${namespace}:`, cipher),
    get connected() {
      return client.isReady;
    },
    async ping() {
      await connection.run('ping', (c) => c.ping());
    },
    async close() {
      if (state === 'closed') return;
      // The flow log's queued events go out before the connection does.
      if (client.isReady) await flowLog.flush();
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

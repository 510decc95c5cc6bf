/**
 * Builds the app's long-lived services from the configuration: the provider
 * connection, the stores and the token service. server.ts and the tests call
 * this; createApp only receives what it returns.
 */
import type session from 'express-session';
import type { Config } from './config/config.js';
import type { Logger } from './logger.js';
import { ProviderConnection } from './oidc/client.js';
import { importClientKeys, type ClientKeySet } from './oidc/client-keys.js';
import type { FlowLog } from './flow/flow-log.js';
import { MemoryFlowLog } from './stores/memory/flow-log.js';
import { MemoryTokenStore } from './stores/memory/token-store.js';
import { tokenEndpointParameters } from './oidc/token-request.js';
import { checkProviderSetup } from './oidc/setup-check.js';
import { KeyValueSessionStore, MemoryKeyValueStore } from './stores/memory/session-store.js';
import { createRedisBackends } from './stores/redis/backends.js';
import { redisRateLimitStore } from './stores/redis/rate-limit-counter.js';
import type { Store } from 'express-rate-limit';
import { SessionCookieVerifier } from './session/session-cookie.js';
import type { RateLimitContext } from './web/rate-limit.js';
import { localRefreshLock, type RefreshLock } from './tokens/refresh-lock.js';
import { TokenService } from './tokens/token-service.js';
import type { TokenStore } from './tokens/token-store.js';
import type { M2mTokenCache } from './m2m/cache.js';
import { ClientCredentialsTokens } from './m2m/client.js';
import type { M2mToken } from './m2m/token.js';
import type { ApiProxy } from './proxy/api-proxy.js';
import { ApiRoutes } from './proxy/api-routes.js';
import { countSessionsWith } from './observability/metrics.js';
import type { ReplayCache } from './oidc/backchannel-logout.js';
import { MemoryReplayCache } from './stores/memory/replay-cache.js';
import type { LoginIndex } from './tokens/login-index.js';
import { MemoryLoginIndex } from './stores/memory/login-index.js';
import { REQUEST_ID_HEADER } from './web/request-log.js';
import { apiSecurityHeaders } from './web/security-headers.js';

/** What the web layer (web/app.ts and its routers) is given. */
export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly provider: ProviderConnection;
  readonly tokens: TokenService;
  readonly flowLog: FlowLog;
  /** Logout token ids already used: in Redis when there are several instances. */
  readonly replayCache: ReplayCache;
  /** Logins by the provider's `sid` and `sub`, so a logout token finds them on any instance. */
  readonly logins: LoginIndex;
  /** The default API's proxy (`/api/*`, the user's token). */
  readonly proxy: ApiProxy;
  /** Every configured API and its proxies, by browser path (proxy/api-routes.ts). */
  readonly apiRoutes: ApiRoutes;
  /** Client-credentials tokens for server-to-server calls; null when M2M is not configured. */
  readonly m2m: ClientCredentialsTokens | null;
  /** The `private_key_jwt` keys (signing key, published public halves); null when no client signs. */
  readonly clientKeys: ClientKeySet | null;
  readonly sessionStore: session.Store;
  /** Resolves when the session store answers. */
  readonly storeHealth: () => Promise<void>;
  readonly lifecycle: { shuttingDown: boolean };
  /** Reads the session id from a request's cookie (signature checked, cached, bounded). */
  readonly sessionCookies: SessionCookieVerifier;
  /** What every rate limiter shares (web/rate-limit.ts): Redis counters when REDIS_URL is set. */
  readonly rateLimits: RateLimitContext;
  /** The security headers of every /api answer, as a flat `[name, value, …]` list (web/security-headers.ts). */
  readonly apiHeaders: readonly string[];
}

export interface Services extends AppDeps {
  /** Stops timers and closes connections. */
  close(): Promise<void>;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const clientKeys = config.clientKeys ? await importClientKeys(config.clientKeys) : null;
  const provider = new ProviderConnection(
    {
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      clientSecret: config.oidc.clientSecret,
      privateKey: config.oidc.authMethod === 'private_key_jwt' ? clientKeys?.signingKey : undefined,
      authMethod: config.oidc.authMethod,
      allowInsecureRequests: config.oidc.allowInsecureRequests,
      timeoutSeconds: config.oidc.timeoutSeconds,
      verifyIdTokenSignatures: true,
    },
    logger,
    {
      onDiscovered: (configuration) => {
        const settings = { ...config.oidc, signingAlg: clientKeys?.signingAlg };
        for (const warning of checkProviderSetup(settings, configuration.serverMetadata())) {
          logger.warn({ provider: config.oidc.provider, check: 'provider_setup' }, warning);
        }
      },
    },
  );

  const stores = config.session.redisUrl
    ? await redisStores(config.session.redisUrl, config, logger)
    : memoryStores(config);
  const tokens = new TokenService({
    store: stores.tokenStore,
    provider,
    lock: stores.refreshLock,
    flowLog: stores.flowLog,
    logins: stores.logins,
    logger,
    idleSeconds: config.session.idleSeconds,
    refreshParameters: tokenEndpointParameters(config.oidc),
  });

  const sessionCookies = new SessionCookieVerifier(config.session);
  const apiHeaders = apiSecurityHeaders(config.baseUrl.protocol === 'https:');
  const m2m = config.m2m
    ? new ClientCredentialsTokens({
        ...config.m2m,
        privateKey: config.m2m.authMethod === 'private_key_jwt' ? clientKeys?.signingKey : undefined,
        timeoutSeconds: config.oidc.timeoutSeconds,
        logger,
        // With M2M_DPOP its key is kept imported where the proxy's proofs look for keys.
        dpopKeys: tokens.dpopKeys,
        // Shared by all instances with Redis: one token request per token lifetime for the whole fleet
        // (per instance with M2M_DPOP: each instance's tokens are bound to its own key).
        ...(stores.m2mCache ? { cache: stores.m2mCache } : {}),
      })
    : null;
  const apiRoutes = new ApiRoutes({
    settings: config.api,
    apis: config.apis,
    tokens,
    m2m,
    flowLog: stores.flowLog,
    // What the gateway puts on every answer: the API's copies are dropped, not repeated.
    gatewayHeaders: [...apiHeaders.filter((_value, index) => index % 2 === 0), REQUEST_ID_HEADER],
  });
  const proxy = apiRoutes.forPath('/api/')?.user;
  if (!proxy) throw new Error('the default API has no proxy');

  return {
    config,
    apiHeaders,
    proxy,
    apiRoutes,
    m2m,
    clientKeys,
    logger,
    provider,
    tokens,
    flowLog: stores.flowLog,
    replayCache: stores.replayCache,
    logins: stores.logins,
    sessionStore: stores.sessionStore,
    storeHealth: stores.ping,
    lifecycle: { shuttingDown: false },
    sessionCookies,
    rateLimits: { trustProxy: config.trustProxy, sessionCookies, store: stores.rateLimitStore },
    async close() {
      provider.stop();
      await apiRoutes.close();
      await stores.close();
    },
  };
}

interface Stores {
  readonly sessionStore: session.Store;
  readonly tokenStore: TokenStore;
  readonly refreshLock: RefreshLock;
  readonly flowLog: FlowLog;
  readonly replayCache: ReplayCache;
  readonly logins: LoginIndex;
  readonly m2mCache?: M2mTokenCache;
  readonly rateLimitStore?: (name: string) => Store;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One instance: bounded in-memory stores, the in-process single-flight is the lock. */
function memoryStores(config: Config): Stores {
  const kv = new MemoryKeyValueStore(config.session.maxSessions);
  const tokenStore = new MemoryTokenStore(config.session.maxSessions);
  countSessionsWith(() => tokenStore.size);
  return {
    sessionStore: new KeyValueSessionStore(kv, {
      defaultTtlSeconds: config.session.idleSeconds,
      // Logins in progress get their own tenth of the bound: a flood of them cannot evict logged-in users.
      anonymous: new MemoryKeyValueStore(Math.max(10, Math.ceil(config.session.maxSessions / 10))),
    }),
    tokenStore,
    refreshLock: localRefreshLock,
    flowLog: new MemoryFlowLog(config.session.maxSessions),
    replayCache: new MemoryReplayCache(config.session.maxSessions),
    logins: new MemoryLoginIndex(config.session.maxSessions),
    ping: () => kv.ping(),
    close: async () => undefined,
  };
}

/** Several instances: sessions, tokens, refresh locks and flow logs shared in Redis. */
async function redisStores(url: string, config: Config, logger: Logger): Promise<Stores> {
  const redis = await createRedisBackends({
    url,
    sessionTtlSeconds: config.session.absoluteSeconds,
    logger,
    encryptionKeys: config.session.tokenEncryptionKeys,
    clientCache: config.session.redisClientCache,
    // A dead holder blocks its session this long; a live one extends the lock while it works.
    lockTtlMs: (config.oidc.timeoutSeconds + 2) * 1000,
    lockWaitMs: (config.oidc.timeoutSeconds + 4) * 1000,
  });
  const rateLimitStore = redisRateLimitStore(redis.connection);
  return {
    sessionStore: redis.sessionStore,
    tokenStore: redis.tokenStore,
    refreshLock: redis.refreshLock,
    flowLog: redis.flowLog,
    replayCache: redis.replayCache,
    logins: redis.logins,
    m2mCache: redis.jsonCache<M2mToken>('m2m'),
    rateLimitStore,
    ping: () => redis.ping(),
    close: async () => {
      // The counted hits go out before the connection does; a Redis already gone only loses them.
      if (redis.connected) await rateLimitStore.close().catch(() => undefined);
      await redis.close();
    },
  };
}

/**
 * Builds the app's long-lived services from the configuration: the provider
 * connection, the stores and the token service. server.ts and the tests call
 * this; createApp only receives what it returns.
 */
import type session from 'express-session';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { ProviderConnection } from './oidc/client.js';
import { MemoryFlowLog, type FlowLog } from './session/flow-log.js';
import { KeyValueSessionStore, MemoryKeyValueStore } from './session/memory-store.js';
import { localRefreshLock } from './session/refresh-lock.js';
import { TokenService } from './session/token-service.js';
import { MemoryTokenStore } from './session/token-store.js';
import type { AppDeps } from './app.js';
import { ApiProxy } from './proxy/api-proxy.js';

export interface Services extends AppDeps {
  /** Stops timers and closes connections. */
  close(): Promise<void>;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const provider = new ProviderConnection(
    {
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      clientSecret: config.oidc.clientSecret,
      authMethod: config.oidc.authMethod,
      allowInsecureRequests: config.oidc.allowInsecureRequests,
      timeoutSeconds: config.oidc.timeoutSeconds,
      verifyIdTokenSignatures: true,
    },
    logger,
  );

  const kv = new MemoryKeyValueStore(config.session.maxSessions);
  const sessionStore: session.Store = new KeyValueSessionStore(kv, {
    prefix: 'sess:',
    defaultTtlSeconds: config.session.idleSeconds,
  });
  const tokenStore = new MemoryTokenStore(config.session.maxSessions);
  const flowLog: FlowLog = new MemoryFlowLog(config.session.maxSessions);
  const tokens = new TokenService({
    store: tokenStore,
    provider,
    lock: localRefreshLock,
    flowLog,
    logger,
    tokenTtlSeconds: config.session.absoluteSeconds,
  });

  const proxy = new ApiProxy({ api: config.api, tokens, flowLog });

  return {
    config,
    proxy,
    logger,
    provider,
    tokens,
    flowLog,
    sessionStore,
    storeHealth: () => kv.ping(),
    lifecycle: { shuttingDown: false },
    async close() {
      provider.stop();
      proxy.close();
      tokenStore.close();
    },
  };
}

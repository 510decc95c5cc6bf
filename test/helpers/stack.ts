/**
 * Starts the whole demo stack the way `npm start` does, on ephemeral loopback
 * ports: the app on `localhost`, the embedded provider and the demo API on
 * `127.0.0.1` (two sites). Ports are reserved first (listen on 0), then the
 * configuration is loaded with them, then the handlers are attached.
 */
import type { Server } from 'node:http';
import { createApp } from '../../src/web/app.js';
import { DEMO_CLIENT, loadConfig, type Config } from '../../src/config/config.js';
import {
  createDemoProvider,
  DEMO_PROVIDER_PROFILES,
  type DemoProvider,
  type DemoProviderOptions,
} from '../../src/demo/identity-provider/index.js';
import { attachDemoServices, demoProviderOptions } from '../../src/demo/start-demo.js';
import { closeServer, createListeningServer, listen } from '../../src/http-server.js';
import { createServices, type Services } from '../../src/services.js';
import { captureLogs } from './log-capture.js';
import { sharedSigningKeys } from './signing-keys.js';

export interface Stack {
  readonly appUrl: string;
  readonly issuer: string;
  readonly apiUrl: string;
  readonly config: Config;
  readonly services: Services;
  readonly provider: DemoProvider;
  /** Every log line the app wrote (JSON strings). */
  readonly logs: string[];
  readonly appServer: Server;
  readonly providerServer: Server;
  /** The demo API's server (tests may listen to its requests). */
  readonly apiServer: Server;
  /** Stops the provider's listener (connections refused) until `startProvider()`. */
  stopProvider(): Promise<void>;
  startProvider(): Promise<void>;
  /**
   * Replaces the provider on the same port with a new one built from the same options plus
   * `overrides` (e.g. the next signing keys): a provider restarted with a new configuration.
   * Its sessions, grants and counters start empty; `provider` then names the new one.
   */
  restartProvider(overrides: Partial<DemoProviderOptions>): Promise<void>;
  /** Starts another app instance with the same configuration (shared stores only with REDIS_URL). */
  addInstance(): Promise<AppInstance>;
  close(): Promise<void>;
}

export interface AppInstance {
  readonly url: string;
  readonly services: Services;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Start with the provider's port closed (it comes up later with `startProvider()`). */
  readonly providerDown?: boolean;
  /**
   * Configure the app as if for a real provider: these variables are applied on
   * top of the demo configuration for the app only, with `OIDC_ISSUER` and the
   * demo client filled in, so the app leaves demo mode but still talks to the
   * embedded provider (e.g. without `resource`, like a plain OpenID provider).
   */
  readonly asRealProvider?: Record<string, string>;
  /** Demo provider options that differ from `npm start`'s (e.g. requiring PAR). */
  readonly demoProvider?: Partial<DemoProviderOptions>;
}

/** What every stack's app has unless a test sets otherwise. */
const TEST_APP_ENV = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
  RATE_LIMIT_API_PER_MINUTE: '1000000',
  // The in-memory stores size their LRU caches for this many sessions when they are built; a test
  // holds a few hundred at most, and the default (sized for production) is most of an app's start.
  SESSION_MAX_COUNT: '10000',
};

export async function startStack(env: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const app = await createListeningServer(0, '127.0.0.1');
  const providerServer = await createListeningServer(0, '127.0.0.1');
  const apiServer = await createListeningServer(0, '127.0.0.1');
  const config = loadConfig({
    ...TEST_APP_ENV,
    PORT: String(app.port),
    DEMO_PROVIDER_PORT: String(providerServer.port),
    DEMO_API_PORT: String(apiServer.port),
    ...env,
  });
  // The process's shared keys unless the test brings its own; a restart keeps the same ones.
  const demoOptions: Partial<DemoProviderOptions> = {
    signingKeys: await sharedSigningKeys(DEMO_PROVIDER_PROFILES[config.demo?.profile ?? 'standard'].idTokenSigningAlgs),
    ...options.demoProvider,
  };
  let provider = await attachDemoServices(
    config,
    {
      providerServer: providerServer.server,
      apiServer: apiServer.server,
    },
    demoOptions,
  );
  const appConfig = options.asRealProvider
    ? loadConfig({
        ...TEST_APP_ENV,
        PORT: String(app.port),
        OIDC_ISSUER: provider.issuer,
        OIDC_CLIENT_ID: DEMO_CLIENT.clientId,
        OIDC_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
        OIDC_PROMPT: 'consent',
        API_BASE_URL: config.api.baseUrl.href,
        ...env,
        ...options.asRealProvider,
      })
    : config;
  const { logger, raw: logs } = captureLogs(appConfig.logLevel);
  if (options.providerDown) await closeServer(providerServer.server, 0);
  const services = await createServices(appConfig, logger);
  if (options.providerDown) void services.provider.start();
  else await services.provider.whenReady();
  app.server.on('request', createApp(services));
  const instances: AppInstance[] = [];
  return {
    async addInstance() {
      const extra = await createListeningServer(0, '127.0.0.1');
      const extraServices = await createServices(appConfig, logger);
      await extraServices.provider.whenReady();
      extra.server.on('request', createApp(extraServices));
      const instance: AppInstance = {
        url: `http://localhost:${extra.port}`,
        services: extraServices,
        async close() {
          await closeServer(extra.server, 500);
          await extraServices.close();
        },
      };
      instances.push(instance);
      return instance;
    },
    appUrl: `http://localhost:${app.port}`,
    issuer: provider.issuer,
    get provider() {
      return provider;
    },
    apiUrl: `http://127.0.0.1:${apiServer.port}`,
    config: appConfig,
    services,
    logs,
    appServer: app.server,
    providerServer: providerServer.server,
    apiServer: apiServer.server,
    async stopProvider() {
      await closeServer(providerServer.server, 0);
    },
    async startProvider() {
      await listen(providerServer.server, providerServer.port, '127.0.0.1');
    },
    async restartProvider(overrides) {
      const next = await createDemoProvider(demoProviderOptions(config, { ...demoOptions, ...overrides }));
      providerServer.server.removeListener('request', provider.handler);
      providerServer.server.on('request', next.handler);
      provider = next;
    },
    async close() {
      await Promise.all(instances.map((i) => i.close()));
      await Promise.all([
        closeServer(app.server, 500),
        closeServer(providerServer.server, 500),
        closeServer(apiServer.server, 500),
      ]);
      await services.close();
    },
  };
}

/** Starts a stack, runs `body`, and always closes the stack. */
export async function withStack(
  env: Record<string, string>,
  body: (stack: Stack) => Promise<void>,
  options: StackOptions = {},
): Promise<void> {
  const stack = await startStack(env, options);
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

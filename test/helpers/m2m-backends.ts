/**
 * The demo provider and demo API without the app, for the M2M tests: the same
 * wiring as `npm start` (attachDemoServices), but the servers are ours so a
 * test can take the provider down while the API keeps running.
 */
import { loadConfig, type Config, type M2mConfig } from '../../src/config/config.js';
import { ClientCredentialsTokens, type ClientCredentialsOptions } from '../../src/m2m/client.js';
import { DEMO_PROVIDER_PROFILES } from '../../src/demo/identity-provider/index.js';
import { attachDemoServices } from '../../src/demo/start-demo.js';
import { closeServer, createListeningServer } from '../../src/http-server.js';
import { sharedSigningKeys } from './signing-keys.js';

export interface M2mBackends {
  readonly config: Config;
  /** `config.m2m` (always set in demo mode). */
  readonly m2m: M2mConfig;
  readonly apiUrl: string;
  /** The env that reproduces this configuration in a child process (the CLI test). */
  readonly env: Record<string, string>;
  /** A ClientCredentialsTokens for the demo M2M client (5 s timeout), with `extra` options on top. */
  tokens(extra?: Partial<ClientCredentialsOptions>): ClientCredentialsTokens;
  /** Successful client-credentials grants of the demo M2M client, counted by the provider itself. */
  m2mGrants(): number;
  /** Closes the provider's server: the next token request gets ECONNREFUSED. */
  stopProvider(): Promise<void>;
  close(): Promise<void>;
}

export async function startM2mBackends(env: Record<string, string> = {}): Promise<M2mBackends> {
  const providerServer = await createListeningServer(0, '127.0.0.1');
  const apiServer = await createListeningServer(0, '127.0.0.1');
  const fullEnv = {
    NODE_ENV: 'test',
    // The app port is never opened here; it only names the (unused) redirect URI.
    PORT: '3999',
    DEMO_PROVIDER_PORT: String(providerServer.port),
    DEMO_API_PORT: String(apiServer.port),
    LOG_LEVEL: 'silent',
    ...env,
  };
  const config = loadConfig(fullEnv);
  if (!config.m2m) throw new Error('demo mode always configures the M2M client');
  const provider = await attachDemoServices(
    config,
    { providerServer: providerServer.server, apiServer: apiServer.server },
    {
      signingKeys: await sharedSigningKeys(
        DEMO_PROVIDER_PROFILES[config.demo?.profile ?? 'standard'].idTokenSigningAlgs,
      ),
    },
  );
  const m2m = config.m2m;
  const clientId = m2m.clientId;
  return {
    config,
    m2m: config.m2m,
    apiUrl: `http://127.0.0.1:${apiServer.port}`,
    env: fullEnv,
    tokens: (extra = {}) => new ClientCredentialsTokens({ ...m2m, timeoutSeconds: 5, ...extra }),
    m2mGrants: () => provider.stats.grantsByClient[clientId]?.['client_credentials'] ?? 0,
    stopProvider: () => closeServer(providerServer.server, 100),
    async close() {
      await Promise.all([closeServer(providerServer.server, 100), closeServer(apiServer.server, 100)]);
    },
  };
}

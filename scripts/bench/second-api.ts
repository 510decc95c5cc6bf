/**
 * The benchmark's second user API (bench only): a second demo API with its own audience, served by
 * process A on BENCH_SECOND_API_PORT when a run asks for it (several-apis.ts), and known to the
 * provider as one more resource server whose user scope is `read:invoices`. The app in B gets it
 * as a named API (`API_BILLING_*`), so one login yields two user tokens, each from its own grant.
 */
import { createServer } from 'node:http';
import type Provider from 'oidc-provider';
import type { Config } from '../../src/config/config.js';
import { createDemoApi } from '../../src/demo/api/app.js';
import type { DemoProviderOptions } from '../../src/demo/identity-provider/index.js';
import { demoProviderOptions } from '../../src/demo/start-demo.js';

export const SECOND_API = {
  name: 'billing',
  audience: 'https://billing.demo-api.example/',
  scope: 'read:invoices',
} as const;

/** The variable that tells process A to serve the second API, and where. */
export const SECOND_API_PORT_VARIABLE = 'BENCH_SECOND_API_PORT';

/** What B adds to its environment to front the second API at `/api/billing/`. */
export function secondApiAppEnv(port: number): Record<string, string> {
  return {
    API_BILLING_BASE_URL: `http://127.0.0.1:${port}/`,
    API_BILLING_RESOURCE: SECOND_API.audience,
    API_BILLING_SCOPE: SECOND_API.scope,
  };
}

/** Process A's part: the provider's extra resource server, and the API's server once the issuer is known. */
export interface SecondApiHost {
  readonly providerOverrides: Partial<DemoProviderOptions>;
  listen(issuer: string): Promise<number>;
}

/** Undefined unless this run asked for the second API. */
export function secondApiHost(config: Config, env: NodeJS.ProcessEnv): SecondApiHost | undefined {
  const port = Number(env[SECOND_API_PORT_VARIABLE]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const { extraApis = [] } = demoProviderOptions(config);
  return {
    providerOverrides: {
      extraApis: [...extraApis, { audience: SECOND_API.audience, userScopes: [SECOND_API.scope], m2mScopes: [] }],
    },
    async listen(issuer) {
      const api = createDemoApi({
        issuer,
        audience: SECOND_API.audience,
        jwksUri: new URL(`${issuer.replace(/\/$/, '')}/jwks`),
      });
      const server = createServer(api);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      return port;
    },
  };
}

/**
 * Refresh grants by the audience of the access token each one issued, counted in process A from
 * oidc-provider's `grant.success` event: which API each grant was for, whatever the app says.
 */
export function countRefreshGrantsByAudience(provider: Provider): Record<string, number> {
  const counts: Record<string, number> = {};
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.['grant_type'] !== 'refresh_token') return;
    const audience = ctx.oidc.entities.AccessToken?.resourceServer?.audience ?? '(none)';
    counts[audience] = (counts[audience] ?? 0) + 1;
  });
  return counts;
}

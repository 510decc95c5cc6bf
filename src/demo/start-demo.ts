/**
 * Demo mode: the embedded identity provider and the demo API, each on its own
 * loopback port. The provider's issuer is on 127.0.0.1 while the app is on
 * localhost: two different sites, so SameSite cookie bugs show up in
 * development and tests exactly as they would in production.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import {
  DEMO_API_AUDIENCE,
  DEMO_CLIENT,
  DEMO_M2M_CLIENT,
  DEMO_M2M_SCOPE,
  DEMO_MANAGEMENT_AUDIENCE,
  DEMO_MANAGEMENT_SCOPE,
  DEMO_USER_SCOPES,
  type ClientAuthMethod,
  type Config,
} from '../config/config.js';
import { CLIENT_JWKS_PATH } from '../oidc/client-keys.js';
import { PROJECT_ROOT } from '../paths.js';
import { createDemoApi } from './api/app.js';
import { createManagementApi } from './api/management.js';
import { DEMO_MANAGEMENT_PATH } from './api/paths.js';
import {
  createDemoProvider,
  DEMO_PROVIDER_PROFILES,
  type DemoClient,
  type DemoProvider,
  type DemoProviderOptions,
} from './identity-provider/index.js';

/**
 * Profiles whose demo publishes a PAR endpoint (RFC 9126), as Keycloak's and Logto's discovery do.
 * The other profiles' dialect (dialect.ts) rewrites the authorization request in the browser's
 * URL, which PAR bypasses; Google and Entra publish no PAR endpoint, and Auth0 only with an add-on.
 */
const PAR_PROFILES = new Set(['standard', 'keycloak', 'logto']);

export interface DemoServers {
  readonly providerServer: Server;
  readonly apiServer: Server;
}

/**
 * The demo provider's options for this configuration, as `npm start` runs it.
 * `overrides` lets tests play a stricter provider (e.g. one that requires PAR).
 */
export function demoProviderOptions(config: Config, overrides: Partial<DemoProviderOptions> = {}): DemoProviderOptions {
  if (!config.demo) throw new Error('the demo provider needs demo mode (no OIDC_ISSUER)');
  const appBaseUrl = config.baseUrl.href.replace(/\/$/, '');
  // With private_key_jwt the demo clients have no secret: the provider fetches the app's public
  // keys from its /.well-known/jwks.json, exactly as a real provider given a jwks_uri would.
  const credentials = (method: ClientAuthMethod, secret: string): Pick<DemoClient, 'clientSecret' | 'jwksUri'> =>
    method === 'private_key_jwt' ? { jwksUri: `${appBaseUrl}${CLIENT_JWKS_PATH}` } : { clientSecret: secret };
  const m2mMethod = config.m2m?.authMethod ?? 'client_secret_post';
  return {
    issuer: config.oidc.issuer.origin,
    profile: DEMO_PROVIDER_PROFILES[config.demo.profile],
    appBaseUrl,
    webClient: {
      clientId: DEMO_CLIENT.clientId,
      ...credentials(config.oidc.authMethod, DEMO_CLIENT.clientSecret),
      authMethod: config.oidc.authMethod,
      clientName: 'OIDC BFF reference app',
    },
    m2mClients: [
      {
        clientId: DEMO_M2M_CLIENT.clientId,
        ...credentials(m2mMethod, DEMO_M2M_CLIENT.clientSecret),
        clientName: 'Demo reports service',
        authMethod: m2mMethod,
        // The reports of the demo API, and reading the management API.
        scope: `${DEMO_M2M_SCOPE} ${DEMO_MANAGEMENT_SCOPE}`,
      },
    ],
    api: {
      audience: DEMO_API_AUDIENCE,
      userScopes: DEMO_USER_SCOPES.split(' '),
      m2mScopes: DEMO_M2M_SCOPE.split(' '),
    },
    // The management API takes machine clients only: no user scopes.
    extraApis: [{ audience: DEMO_MANAGEMENT_AUDIENCE, userScopes: [], m2mScopes: DEMO_MANAGEMENT_SCOPE.split(' ') }],
    accessTokenTtlSeconds: config.demo.accessTokenTtlSeconds,
    clientCredentialsTtlSeconds: config.demo.m2mTokenTtlSeconds,
    stylesheetPath: path.join(PROJECT_ROOT, 'public', 'styles.css'),
    ...(PAR_PROFILES.has(config.demo.profile) && { pushedAuthorizationRequests: 'offered' }),
    dpopNonce: config.demo.dpopNonce,
    ...overrides,
  };
}

/** Attaches the demo provider and API to servers that already listen on the configured ports. */
export async function attachDemoServices(
  config: Config,
  servers: DemoServers,
  overrides: Partial<DemoProviderOptions> = {},
): Promise<DemoProvider> {
  const provider = await createDemoProvider(demoProviderOptions(config, overrides));
  servers.providerServer.on('request', provider.handler);
  const jwksUri = new URL(`${provider.issuer.replace(/\/$/, '')}/jwks`);
  const api = createDemoApi({
    issuer: provider.issuer,
    audience: DEMO_API_AUDIENCE,
    jwksUri,
    dpopNonce: config.demo?.dpopNonce ?? false,
  });
  const management = createManagementApi({
    issuer: provider.issuer,
    audience: DEMO_MANAGEMENT_AUDIENCE,
    jwksUri,
    clients: [
      {
        clientId: DEMO_CLIENT.clientId,
        clientName: 'OIDC BFF reference app',
        grantTypes: ['authorization_code', 'refresh_token'],
      },
      { clientId: DEMO_M2M_CLIENT.clientId, clientName: 'Demo reports service', grantTypes: ['client_credentials'] },
    ],
  });
  // One loopback server, two APIs: the management API under /api/v2/, the demo API everywhere else.
  servers.apiServer.on('request', (req, res) => {
    if (req.url?.startsWith(DEMO_MANAGEMENT_PATH)) management(req, res);
    else api(req, res);
  });
  return provider;
}

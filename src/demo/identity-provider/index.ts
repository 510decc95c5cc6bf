/**
 * Embedded demo identity provider (OpenID Provider + OAuth 2.0 authorization server).
 *
 * A local stand-in for Auth0 / Keycloak / Logto so that `npm run demo` and the integration tests
 * need no external account. It wraps `oidc-provider` 9 with:
 *
 * - our own login / consent / logout / error pages (views/provider/*.ejs) instead of the built-in
 *   `devInteractions`, listing the public demo accounts from `demo-accounts.ts`;
 * - PKCE (S256) required for every client, even confidential ones (RFC 9700 §2.1.1);
 * - refresh tokens only with `offline_access` (OIDC Core §11), rotated on every use so that
 *   replaying a consumed one fails and revokes the grant (RFC 9700 §4.14.2);
 * - RFC 8707 resource indicators, also reachable through Auth0's `audience` parameter, issuing
 *   JWT access tokens (RFC 9068) whose `aud` is the demo API;
 * - client credentials for machine-to-machine clients (RFC 6749 §4.4);
 * - token revocation (RFC 7009) and RP-initiated logout (OIDC RP-Initiated Logout 1.0).
 *
 * Layout, after oidc-provider's own example: configuration.ts (the configuration object),
 * interactions.ts (login and consent routes), views.ts (pages), adapter.ts (storage),
 * client-auth.ts (strict client authentication), errors.ts (the routes' error page).
 *
 * Everything (keys, cookie keys, tokens, sessions) lives in this process only. Never deploy it.
 */
import express from 'express';
import Provider from 'oidc-provider';

import { enforceRegisteredSecretMethod } from './client-auth.js';
import { buildConfiguration } from './configuration.js';
import { dialectRoutes, recordOrganizations, shapeDiscovery } from './dialect.js';
import { errorHandler } from './errors.js';
import { interactionRoutes } from './interactions.js';
import { validateOptions, type DemoProvider, type DemoProviderOptions } from './options.js';
import { OrganizationLedger } from './organizations.js';
import { DEMO_PROVIDER_PROFILES } from './profiles/index.js';
import { countProviderEvents, emptyStats, recordClientAuthentications, resetStats } from './stats.js';
import { PageRenderer, resolveViewsDir } from './views.js';

export type {
  ClientAuthenticationRecord,
  DemoClient,
  DemoProvider,
  DemoProviderOptions,
  DemoProviderStats,
} from './options.js';
export { DEMO_PROFILE_NAMES, DEMO_PROVIDER_PROFILES } from './profiles/index.js';
export { generateSigningKey, generateSigningKeys } from './signing-keys.js';
export type { DemoProfileName, DemoProviderProfile } from './profiles/index.js';

/**
 * Creates the demo identity provider. The caller listens:
 * `http.createServer(provider.handler).listen(port, '127.0.0.1')`.
 *
 * Signing keys (RS256 for ID tokens, ES256 for JWT access tokens) and cookie keys are generated
 * per call unless `signingKeys` are given, so tokens and sessions never survive a restart.
 */
export async function createDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const settings = validateOptions(options);
  const { appBaseUrl, api, webClient } = settings;
  const profile = options.profile ?? DEMO_PROVIDER_PROFILES.standard;
  const issuer = `${settings.issuer}${profile.issuerPath}`;
  const mountPath = profile.issuerPath.replace(/\/$/, '');

  const stats = emptyStats();
  const pages = new PageRenderer(resolveViewsDir(), new URL(appBaseUrl).origin);
  const organizations = new OrganizationLedger(profile.organizations);

  const provider = new Provider(issuer, await buildConfiguration(settings, { profile, pages, organizations }));
  // The provider is reached directly over loopback: never trust X-Forwarded-* headers.
  provider.proxy = false;
  enforceRegisteredSecretMethod(provider);
  countProviderEvents(provider, stats);
  recordClientAuthentications(provider, stats);
  shapeDiscovery(provider, profile);
  recordOrganizations(provider, organizations);

  const app = express();
  app.disable('x-powered-by');

  app.get('/static/styles.css', (_req, res) => {
    res.sendFile(settings.stylesheetPath, { headers: { 'Cache-Control': 'no-cache' } }, (err) => {
      if (err && !res.headersSent) res.status(404).type('text/plain').send('Not found');
    });
  });

  app.use(
    '/interaction',
    interactionRoutes({
      provider,
      pages,
      stats,
      issuerOrigin: new URL(issuer).origin,
      api,
      webClientId: webClient.clientId,
    }),
  );
  app.use(
    dialectRoutes({
      profile,
      mountPath,
      organizations,
      webClientId: webClient.clientId,
      postLogoutRedirectUri: `${appBaseUrl}/`,
    }),
  );
  if (mountPath) app.use(mountPath, provider.callback());
  else app.use(provider.callback());
  app.use(errorHandler(pages, appBaseUrl));

  return {
    issuer,
    profile,
    handler: (req, res) => {
      app(req, res);
    },
    stats,
    resetStats: () => resetStats(stats),
    provider,
  };
}

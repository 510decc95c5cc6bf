/**
 * The oidc-provider configuration object of the demo provider: clients, keys, cookies, features,
 * resource indicators, refresh-token policy and lifetimes, shaped by the provider profile.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
 */
import { randomBytes } from 'node:crypto';

import { errors, type Configuration, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';

import { findDemoAccountBySub, type DemoAccount } from '../demo-accounts.js';
import { createMemoryAdapterFactory } from './adapter.js';
import { registeredClients } from './clients.js';
import type { DemoProviderSettings, DemoResourceServer } from './options.js';
import type { OrganizationLedger } from './organizations.js';
import { generateSigningKeys } from './signing-keys.js';
import type { DemoProviderProfile } from './profiles/index.js';
import { LANGUAGES } from '../../i18n/languages.js';
import { errorPageLocals, pageLanguage, protocolErrorMessage, type PageRenderer } from './views.js';

const AUTHORIZATION_CODE_TTL = 60;
const ID_TOKEN_TTL = 60 * 60;
const INTERACTION_TTL = 60 * 60;
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

/** OIDC scopes and the claims each releases (OIDC Core §5.4); `openid` also carries the profile's own. */
const CLAIMS = {
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

/** Scopes the consent page lists as "about you" rather than as API permissions. */
export const IDENTITY_SCOPES = new Set(['openid', ...Object.keys(CLAIMS), 'offline_access']);

export interface ConfigurationContext {
  readonly profile: DemoProviderProfile;
  readonly pages: PageRenderer;
  readonly organizations: OrganizationLedger;
}

export async function buildConfiguration(
  settings: DemoProviderSettings,
  { profile, pages, organizations }: ConfigurationContext,
): Promise<Configuration> {
  const { appBaseUrl, api, webClient } = settings;
  // Only where the provider has a session to end: a profile without end-session (Google) has none to announce.
  const backchannelLogout = profile.logout !== 'none';
  const backchannelLogoutUri = `${appBaseUrl}/backchannel-logout`;
  // Entra names the API by prefixing its scopes with the API's identifier.
  const prefixed = profile.apiAudience === 'scope-prefix';
  const userScopesOf = (server: DemoResourceServer): string[] =>
    prefixed ? server.userScopes.map((scope) => `${server.audience}${scope}`) : server.userScopes;
  const resourceServers = new Map([api, ...(settings.extraApis ?? [])].map((server) => [server.audience, server]));
  // Auth0's multi-resource refresh tokens: the web client's refresh-token policies list every API with user scopes.
  const refreshTokenPolicies = profile.multiResourceRefreshTokens
    ? [...resourceServers.values()].filter((server) => server.userScopes.length > 0).map((server) => server.audience)
    : [];
  const m2mScopesByClient = new Map(settings.m2mClients.map((client) => [client.clientId, client.scope.split(' ')]));

  // oidc-provider fetches these itself; the app serving them is on this machine (see `fetch` below).
  const clientJwksUris = [webClient, ...settings.m2mClients].flatMap((client) => client.jwksUri ?? []);
  const loopbackUrls = new Set([backchannelLogoutUri, ...clientJwksUris]);

  function apiResourceServer(audience: string, scope: string, accessTokenTTL: number): ResourceServer {
    return {
      scope,
      audience,
      accessTokenFormat: 'jwt',
      // RFC 9068 §2.1 allows a single-valued `aud`; Auth0 and Entra put the API there.
      accessTokenTTL,
      jwt: { sign: { alg: 'ES256' } },
    };
  }

  return {
    adapter: createMemoryAdapterFactory({ refreshTokenReuseLeewaySeconds: profile.rotation.reuseLeewaySeconds }),
    clients: registeredClients(settings, profile, backchannelLogout ? backchannelLogoutUri : undefined),
    jwks: { keys: settings.signingKeys ?? (await generateSigningKeys(profile.idTokenSigningAlgs)) },
    // oidc-provider refuses outgoing requests to loopback addresses (SSRF protection, its `dispatcher`);
    // the demo app it sends logout tokens to and fetches client keys from is on this machine, so
    // those registered URLs are exempt.
    fetch: (url, options) => {
      if (!loopbackUrls.has(String(url))) return fetch(url, options);
      const { dispatcher: _ssrfGuard, ...direct } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, direct);
    },
    enabledJWA: { idTokenSigningAlgValues: [...profile.idTokenSigningAlgs] },
    cookies: {
      // Signs the interaction/session cookies; random per process (cookies die with the process).
      keys: [randomBytes(32).toString('base64url')],
      // SameSite=Lax keeps the interaction cookie off cross-site POSTs: login CSRF protection.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: {
      ...CLAIMS,
      openid: ['sub', ...(profile.tenantId ? ['tid'] : []), ...(organizations.enabled ? ['org_id', 'org_name'] : [])],
    },
    // OIDC Core §5.4: with response_type=code, scope-requested claims belong to UserInfo. When the
    // access token is for the API (so useless at UserInfo), oidc-provider puts them in the ID token.
    conformIdTokenClaims: true,
    // Auth0-compatible authorization request parameters; `audience` maps to RFC 8707 `resource`.
    extraParams: ['audience', 'organization', 'invitation', 'access_type'],
    responseTypes: ['code'],
    // OIDC Discovery 1.0 §3: the languages its pages speak, picked by `ui_locales` (views.ts).
    discovery: { ui_locales_supported: [...LANGUAGES] },
    pkce: { required: () => true },
    // Only the BFF's server talks to the token endpoint: no browser CORS access to anything.
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9126: the BFF may push its authorization parameters server to server (OIDC_PAR).
      pushedAuthorizationRequests: {
        enabled: settings.pushedAuthorizationRequests !== undefined,
        requirePushedAuthorizationRequests: settings.pushedAuthorizationRequests === 'required',
      },
      // RFC 9449: a client that sends DPoP proofs gets tokens bound to its key (`cnf.jkt`,
      // `token_type: DPoP`); with `dpopNonce` every proof must carry a nonce the provider issued (§8).
      dPoP: {
        enabled: true,
        ...(settings.dpopNonce && { nonceSecret: randomBytes(32), requireNonce: () => true }),
      },
      revocation: {
        enabled: profile.revocation,
        // RFC 7009 §2.1: a client may revoke only the tokens issued to it.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      // Back-Channel Logout 1.0: wherever the user's session ends here, the app hears of it.
      backchannelLogout: { enabled: backchannelLogout },
      rpInitiatedLogout: {
        enabled: profile.logout !== 'none',
        // `form` is oidc-provider's own <form id="op.logoutForm"> (action and xsrf field); the page
        // embeds it as is and its buttons submit it through their `form` attribute.
        logoutSource: async (ctx, form) => {
          const account = ctx.oidc.session?.accountId ? findDemoAccountBySub(ctx.oidc.session.accountId) : undefined;
          await pages.renderToKoa(ctx, 200, 'logout', pageLanguage(ctx.req, ctx.oidc.params?.['ui_locales']), {
            form,
            clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '',
            accountName: account?.name ?? '',
          });
        },
        postLogoutSuccessSource: async (ctx) => {
          await pages.renderToKoa(ctx, 200, 'logged-out', pageLanguage(ctx.req, ctx.oidc.params?.['ui_locales']), {
            clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '',
            appUrl: `${appBaseUrl}/`,
          });
        },
      },
      resourceIndicators: {
        enabled: true,
        // Called when a request names no `resource` (RFC 8707 §2), or with the candidates when a
        // token request must pick one: map Auth0's `audience` onto it.
        defaultResource: (ctx, _client, oneOf) => {
          if (oneOf) {
            if (profile.multiResourceRefreshTokens) {
              // Auth0: a refresh-token grant picks one of the refresh token's APIs with `audience`;
              // without one, or with one no policy lists, the token is for the login's audience (first).
              const audience = requestedAudience(ctx);
              return audience !== undefined && oneOf.includes(audience) ? audience : oneOf[0];
            }
            return oneOf.includes(api.audience) ? api.audience : oneOf;
          }
          const audience = requestedAudience(ctx);
          if (audience !== undefined) {
            // Auth0: the login's refresh token also covers the APIs of the refresh-token policies, so
            // the grant holds them too (the audience first: the code exchange's token is for it).
            const policies = refreshTokenPolicies.filter((policy) => policy !== audience);
            return ctx.oidc.route === 'authorization' && policies.length > 0 ? [audience, ...policies] : audience;
          }
          // An M2M token is only good for the API, so that is the default target for the grant.
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials') {
            return api.audience;
          }
          // Okta and Keycloak: the authorization server's own audience, whatever the client sends.
          if (profile.apiAudience === 'default') return api.audience;
          // Entra: the API is the one whose identifier prefixes the requested scopes.
          if (prefixed && ctx.oidc.route === 'authorization') {
            const scopes = String(ctx.oidc.params?.['scope'] ?? '').split(' ');
            if (scopes.some((scope) => scope.startsWith(api.audience))) return api.audience;
          }
          // A user login without a target gets an opaque access token for UserInfo only.
          return undefined;
        },
        getResourceServerInfo: (ctx, resourceIndicator, client): ResourceServer => {
          const server = resourceServers.get(resourceIndicator);
          if (!server) {
            throw new errors.InvalidTarget('unknown resource indicator');
          }
          // With multi-resource refresh tokens, defaultResource maps the audience (and Auth0 ignores
          // an audience its policies do not list); elsewhere a request naming two APIs is refused.
          const audience = requestedAudience(ctx);
          if (!profile.multiResourceRefreshTokens && audience !== undefined && audience !== resourceIndicator) {
            throw new errors.InvalidTarget('audience and resource must name the same API');
          }
          // Users and M2M clients get disjoint scope sets, so neither can mint the other's. A client
          // never gets more than the API offers to M2M callers, whatever it was registered with.
          const registered = m2mScopesByClient.get(client.clientId);
          if (registered !== undefined) {
            const scope = registered.filter((s) => server.m2mScopes.includes(s)).join(' ');
            return apiResourceServer(server.audience, scope, settings.clientCredentialsTtlSeconds);
          }
          // Google issues user tokens for its own APIs only: none for ours. An API with no user
          // scopes (the management API) takes machine clients only.
          if (
            client.clientId === webClient.clientId &&
            profile.apiAudience !== 'none' &&
            server.userScopes.length > 0
          ) {
            return apiResourceServer(server.audience, userScopesOf(server).join(' '), settings.accessTokenTtlSeconds);
          }
          throw new errors.InvalidTarget('this client may not access the API');
        },
        // `resource` is optional at the token endpoint (RFC 8707 §2.2). When this is true, the code
        // exchange and refreshes get a token for the API granted at /authorize without repeating
        // it; when false (Logto), a token request without `resource` gets a UserInfo-only token.
        useGrantedResource: () => profile.useGrantedResource,
      },
    },
    ...(prefixed && {
      formats: {
        customizers: {
          // Entra's access tokens list the scopes without the API prefix the client asked with.
          jwt: (_ctx, _token, jwt) => {
            const scope = jwt.payload['scope'];
            if (typeof scope === 'string') jwt.payload['scope'] = scope.replaceAll(api.audience, '');
          },
        },
      },
    }),
    findAccount: (_ctx, sub, token) => {
      const account = findDemoAccountBySub(sub);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        claims: () => ({
          ...accountClaims(account),
          ...(profile.tenantId && { tid: profile.tenantId }),
          ...organizations.claimsFor(token?.grantId),
        }),
      };
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // OIDC Core §11: a refresh token only for clients allowed to refresh that asked for
    // offline_access, unless the provider issues one with every login (Keycloak).
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (profile.offlineAccess === 'always' || code.scopes.has('offline_access')),
    // `always`: rotate on every use (RFC 9700 §4.14.2), so a replayed refresh token fails and
    // revokes the grant (unless the adapter's reuse leeway hides the reuse); `late`: oidc-provider's
    // default rule, which rotates a confidential client's token only late in its life.
    ...(profile.rotation.rotate !== 'late' && { rotateRefreshToken: profile.rotation.rotate === 'always' }),
    renderError: async (ctx, out) => {
      const status = ctx.status >= 400 ? ctx.status : 400;
      await pages.renderToKoa(
        ctx,
        status,
        'error',
        pageLanguage(ctx.req, ctx.oidc?.params?.['ui_locales']),
        errorPageLocals(out.error, protocolErrorMessage(out.error), appBaseUrl, out.error_description),
      );
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.accessTokenTtlSeconds,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.clientCredentialsTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: ID_TOKEN_TTL,
      Interaction: INTERACTION_TTL,
      RefreshToken: FOURTEEN_DAYS,
      Session: FOURTEEN_DAYS,
      Grant: FOURTEEN_DAYS,
    },
  };
}

function accountClaims(account: DemoAccount): { sub: string; [claim: string]: unknown } {
  return {
    sub: account.sub,
    name: account.name,
    given_name: account.given_name,
    family_name: account.family_name,
    preferred_username: account.preferred_username,
    email: account.email,
    email_verified: account.email_verified,
  };
}

/**
 * The Auth0-style `audience` parameter: a registered extra parameter at the authorization
 * endpoint, or a raw form field at the token endpoint (oidc-provider drops unknown token
 * parameters from `ctx.oidc.params` but keeps the parsed body).
 */
function requestedAudience(ctx: KoaContextWithOIDC): string | undefined {
  const value = ctx.oidc.route === 'token' ? ctx.oidc.body?.['audience'] : ctx.oidc.params?.['audience'];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new errors.InvalidRequest('audience must be a single value');
  }
  return value;
}

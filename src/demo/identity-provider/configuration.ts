/**
 * The oidc-provider configuration object of the demo provider: clients, keys, cookies, features,
 * resource indicators, refresh-token policy and lifetimes.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
 */
import { randomBytes } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { errors, type Configuration, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';

import { findDemoAccountBySub, type DemoAccount } from '../demo-accounts.js';
import { createMemoryAdapterFactory } from './adapter.js';
import type { DemoProviderSettings } from './options.js';
import { errorPageLocals, type PageRenderer } from './views.js';

const AUTHORIZATION_CODE_TTL = 60;
const ID_TOKEN_TTL = 60 * 60;
const INTERACTION_TTL = 60 * 60;
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

/** OIDC scopes and the claims each releases (OIDC Core §5.4). */
const CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

/** Scopes the consent page lists as "about you" rather than as API permissions. */
export const IDENTITY_SCOPES = new Set(['openid', ...Object.keys(CLAIMS), 'offline_access']);

export async function buildConfiguration(settings: DemoProviderSettings, pages: PageRenderer): Promise<Configuration> {
  const { appBaseUrl, api, webClient } = settings;

  const m2mScopesByClient = new Map(
    settings.m2mClients.map((client) => [
      client.clientId,
      // A client never gets more than the API offers to M2M callers, whatever it was registered with.
      client.scope
        .split(' ')
        .filter((scope) => api.m2mScopes.includes(scope))
        .join(' '),
    ]),
  );

  function apiResourceServer(scope: string, accessTokenTTL: number): ResourceServer {
    return {
      scope,
      audience: api.audience,
      accessTokenFormat: 'jwt',
      accessTokenTTL,
      jwt: { sign: { alg: 'ES256' } },
    };
  }

  return {
    adapter: createMemoryAdapterFactory(),
    clients: [
      {
        client_id: webClient.clientId,
        client_secret: webClient.clientSecret,
        client_name: webClient.clientName ?? webClient.clientId,
        token_endpoint_auth_method: webClient.authMethod,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appBaseUrl}/callback`],
        post_logout_redirect_uris: [`${appBaseUrl}/`],
      },
      ...settings.m2mClients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_name: client.clientName ?? client.clientId,
        token_endpoint_auth_method: client.authMethod,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    jwks: { keys: await generateSigningKeys() },
    cookies: {
      // Signs the interaction/session cookies; random per process (cookies die with the process).
      keys: [randomBytes(32).toString('base64url')],
      // SameSite=Lax keeps the interaction cookie off cross-site POSTs: login CSRF protection.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: CLAIMS,
    // OIDC Core §5.4: with response_type=code, scope-requested claims belong to UserInfo. When the
    // access token is for the API (so useless at UserInfo), oidc-provider puts them in the ID token.
    conformIdTokenClaims: true,
    // Auth0-compatible authorization request parameters; `audience` maps to RFC 8707 `resource`.
    extraParams: ['audience', 'organization', 'invitation'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Only the BFF's server talks to the token endpoint: no browser CORS access to anything.
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may revoke only the tokens issued to it.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        // `form` is oidc-provider's own <form id="op.logoutForm"> (action and xsrf field); the page
        // embeds it as is and its buttons submit it through their `form` attribute.
        logoutSource: async (ctx, form) => {
          const account = ctx.oidc.session?.accountId ? findDemoAccountBySub(ctx.oidc.session.accountId) : undefined;
          await pages.renderToKoa(ctx, 200, 'logout', {
            title: 'Sign out',
            form,
            clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '',
            accountName: account?.name ?? '',
          });
        },
        postLogoutSuccessSource: async (ctx) => {
          await pages.renderToKoa(ctx, 200, 'logged-out', {
            title: 'Signed out',
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
            return oneOf.includes(api.audience) ? api.audience : oneOf;
          }
          const audience = requestedAudience(ctx);
          if (audience !== undefined) return audience;
          // An M2M token is only good for the API, so that is the default target for the grant.
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials') {
            return api.audience;
          }
          // A user login without a target gets an opaque access token for UserInfo only.
          return undefined;
        },
        getResourceServerInfo: (ctx, resourceIndicator, client): ResourceServer => {
          if (resourceIndicator !== api.audience) {
            throw new errors.InvalidTarget('unknown resource indicator');
          }
          const audience = requestedAudience(ctx);
          if (audience !== undefined && audience !== resourceIndicator) {
            throw new errors.InvalidTarget('audience and resource must name the same API');
          }
          // Users and M2M clients get disjoint scope sets, so neither can mint the other's.
          const m2mScope = m2mScopesByClient.get(client.clientId);
          if (m2mScope !== undefined) {
            return apiResourceServer(m2mScope, settings.clientCredentialsTtlSeconds);
          }
          if (client.clientId === webClient.clientId) {
            return apiResourceServer(api.userScopes.join(' '), settings.accessTokenTtlSeconds);
          }
          throw new errors.InvalidTarget('this client may not access the API');
        },
        // `resource` is optional at the token endpoint (RFC 8707 §2.2): the code exchange and
        // refreshes get a token for the API granted at /authorize without repeating it.
        useGrantedResource: () => true,
      },
    },
    findAccount: (_ctx, sub) => {
      const account = findDemoAccountBySub(sub);
      if (!account) return undefined;
      return { accountId: account.sub, claims: () => accountClaims(account) };
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // OIDC Core §11: a refresh token only for clients allowed to refresh that asked for offline_access.
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Rotate on every use (RFC 9700 §4.14.2): a replayed refresh token fails and revokes the grant.
    rotateRefreshToken: true,
    renderError: async (ctx, out) => {
      const status = ctx.status >= 400 ? ctx.status : 400;
      await pages.renderToKoa(ctx, status, 'error', errorPageLocals(out.error, out.error_description, appBaseUrl));
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

/** RS256 for ID tokens (OIDC Core §15.1 mandatory-to-implement) and ES256 for JWT access tokens. */
async function generateSigningKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  return keys;
}

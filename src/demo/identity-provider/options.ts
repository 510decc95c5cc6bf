/** What the caller gives {@link createDemoProvider} and gets back, and the checks on it. */
import { isAbsolute } from 'node:path';
import type { RequestListener } from 'node:http';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';

import type { DemoProviderProfile } from './profiles/index.js';

/** A client registered with the demo provider. */
export interface DemoClient {
  clientId: string;
  /**
   * The only token endpoint authentication method the provider accepts from this client:
   * `client_secret_basic` (HTTP Basic) or `client_secret_post` (form body), RFC 6749 §2.3.1, both
   * with `clientSecret`; or `private_key_jwt` (RFC 7523 §2.2), with the public keys at `jwksUri`.
   */
  authMethod: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The secret, for the two secret methods. */
  clientSecret?: string;
  /** For `private_key_jwt`: where the provider fetches the client's public keys (RFC 7591 §2 `jwks_uri`). */
  jwksUri?: string;
  /** Human-readable name shown on the consent and logout pages (defaults to the client id). */
  clientName?: string;
}

/** An API the provider issues tokens for; a web client gets `userScopes`, an M2M client `m2mScopes`. */
export interface DemoResourceServer {
  audience: string;
  userScopes: string[];
  m2mScopes: string[];
}

/** Options of {@link createDemoProvider}. */
export interface DemoProviderOptions {
  /**
   * Where the provider is served, e.g. `http://127.0.0.1:4001` (no trailing slash). The issuer is
   * this plus the profile's path (`/oidc` for Logto, `/` for Auth0, nothing for `standard`).
   */
  issuer: string;
  /** Which real provider to behave like (default: `standard`). */
  profile?: DemoProviderProfile;
  /** Base URL of the BFF app: redirect URI `${appBaseUrl}/callback`, post-logout URI `${appBaseUrl}/`. */
  appBaseUrl: string;
  /** The BFF: a confidential client with `authorization_code` + `refresh_token`, response type `code`. */
  webClient: DemoClient;
  /** Machine-to-machine clients (`client_credentials` only); `scope` lists the API scopes each may get. */
  m2mClients: Array<DemoClient & { scope: string }>;
  /**
   * Other web apps of the same provider (sign-in and RP-initiated logout only, no API scopes). Signing
   * out from one of them ends the user's session here, and this provider then sends the BFF a logout
   * token (OpenID Connect Back-Channel Logout 1.0): what the tests use to show that path.
   */
  otherApps?: Array<DemoClient & { redirectUri: string; postLogoutRedirectUri: string }>;
  /** The demo API (resource server): its audience and the scopes users and M2M clients may receive. */
  api: DemoResourceServer;
  /** More APIs (the management API, a test's second API): each its own audience and scopes. */
  extraApis?: DemoResourceServer[];
  /** Lifetime of user access tokens, in seconds (demo ~120, tests 2–5). */
  accessTokenTtlSeconds: number;
  /** Lifetime of client-credentials access tokens, in seconds (default 600). */
  clientCredentialsTtlSeconds?: number;
  /**
   * Pushed authorization requests (RFC 9126): `offered` publishes the endpoint, `required` also
   * refuses a request that was not pushed first (§5). Default: not offered.
   */
  pushedAuthorizationRequests?: 'offered' | 'required';
  /** Absolute path of the app's `public/styles.css`, served by the provider at `/static/styles.css`. */
  stylesheetPath: string;
  /**
   * The signing keys as private JWKs, first key of an algorithm signs (see signing-keys.ts). Default:
   * fresh keys. A provider started again on the same port with the next key set plays a key rotation.
   */
  signingKeys?: JWK[];
  /**
   * DPoP (RFC 9449) is always accepted; with this, every DPoP proof must carry a nonce the
   * provider issued (§8), so a client's nonce retry can be seen. Default: no nonces.
   */
  dpopNonce?: boolean;
}

/** Counters the tests read to assert what happened at the provider. Mutated in place. */
export interface DemoProviderStats {
  /** Successful token endpoint requests by `grant_type` (e.g. `grants.refresh_token`). */
  grants: Record<string, number>;
  /** Failed token endpoint requests by `grant_type` (`unknown` when none was sent). */
  grantErrors: Record<string, number>;
  /** Successful token endpoint requests by client id, then by `grant_type`. */
  grantsByClient: Record<string, Record<string, number>>;
  /** Failed token endpoint requests by OAuth error code (e.g. `grantErrorsByCode.invalid_grant`). */
  grantErrorsByCode: Record<string, number>;
  /** Tokens destroyed through the revocation endpoint (RFC 7009). */
  revocations: number;
  /**
   * How clients authenticated at the token, revocation and PAR endpoints, newest last (bounded):
   * what each request carried, never the credential itself.
   */
  clientAuthentications: ClientAuthenticationRecord[];
  /** Successful and failed submissions of the login form. */
  logins: number;
  failedLogins: number;
  /** Consent decisions. */
  consentsAllowed: number;
  consentsDenied: number;
}

/** One back-channel request as the provider received it (RFC 6749 §2.3, RFC 7523 §2.2). */
export interface ClientAuthenticationRecord {
  /** oidc-provider's route: `token`, `revocation`, `pushed_authorization_request`, `introspection`. */
  route: string;
  grantType: string | undefined;
  /** The client the provider authenticated, if it did. */
  clientId: string | undefined;
  /** What came: a client assertion, a secret in the body, a secret in a Basic header, or nothing. */
  sent: 'client_assertion' | 'client_secret_post' | 'client_secret_basic' | 'none';
  /** `client_assertion_type` as sent. */
  assertionType: string | undefined;
  /** The assertion's decoded header and claims (not the signed token, which could still be replayed). */
  assertion: { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined;
  /** Whether any secret came along (in the body or a Basic header), whatever else was sent. */
  secretSent: boolean;
  /** The HTTP status the provider answered. */
  status: number;
}

/** A running demo provider; the caller owns the HTTP server. */
export interface DemoProvider {
  /** The issuer identifier: the given origin plus the profile's path. */
  issuer: string;
  /** The profile the provider plays. */
  profile: DemoProviderProfile;
  /** Request listener for `http.createServer(handler)` or `server.on('request', handler)`. */
  handler: RequestListener;
  /** Live counters (see {@link DemoProviderStats}). */
  stats: DemoProviderStats;
  /** Sets every counter back to zero (same object, so references stay valid). */
  resetStats(): void;
  /** The underlying oidc-provider instance, for tests that need to reach behind the HTTP API. */
  provider: Provider;
}

/** Options after validation, defaults applied. */
export type DemoProviderSettings = DemoProviderOptions & { clientCredentialsTtlSeconds: number };

const DEFAULT_CLIENT_CREDENTIALS_TTL = 600;

export function validateOptions(options: DemoProviderOptions): DemoProviderSettings {
  const problems: string[] = [];
  const checkUrl = (name: string, value: string): void => {
    const url = URL.parse(value);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      problems.push(`${name} must be an http(s) URL`);
    else if (value.endsWith('/')) problems.push(`${name} must not end with "/"`);
  };
  const checkTtl = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer`);
  };
  checkUrl('issuer', options.issuer);
  checkUrl('appBaseUrl', options.appBaseUrl);
  checkTtl('accessTokenTtlSeconds', options.accessTokenTtlSeconds);
  const clientCredentialsTtlSeconds = options.clientCredentialsTtlSeconds ?? DEFAULT_CLIENT_CREDENTIALS_TTL;
  checkTtl('clientCredentialsTtlSeconds', clientCredentialsTtlSeconds);
  if (!isAbsolute(options.stylesheetPath)) problems.push('stylesheetPath must be absolute');
  const apis = [options.api, ...(options.extraApis ?? [])];
  if (apis.some((api) => !api.audience)) problems.push('api.audience is required');
  if (new Set(apis.map((api) => api.audience)).size !== apis.length) problems.push('API audiences must be unique');
  for (const api of apis) {
    const overlap = api.userScopes.filter((scope) => api.m2mScopes.includes(scope));
    if (overlap.length) problems.push(`api.userScopes and api.m2mScopes must not overlap (${overlap.join(', ')})`);
  }
  for (const client of [options.webClient, ...options.m2mClients, ...(options.otherApps ?? [])]) {
    if (client.authMethod === 'private_key_jwt' ? !client.jwksUri : !client.clientSecret) {
      problems.push(
        `client ${client.clientId}: ${client.authMethod} needs ${client.authMethod === 'private_key_jwt' ? 'jwksUri' : 'clientSecret'}`,
      );
    }
  }
  const ids = [options.webClient, ...options.m2mClients, ...(options.otherApps ?? [])].map((client) => client.clientId);
  if (new Set(ids).size !== ids.length) problems.push('client ids must be unique');
  if (problems.length) {
    throw new TypeError(`invalid demo identity provider options: ${problems.join('; ')}`);
  }
  return { ...options, clientCredentialsTtlSeconds };
}

/**
 * What a provider profile is: the ways a real provider differs from plain oidc-provider that a
 * web client must adapt to, as data plus a few small hooks. configuration.ts and index.ts turn a
 * profile into oidc-provider settings; each provider's file says where its facts come from.
 */

export const DEMO_PROFILE_NAMES = ['standard', 'auth0', 'logto', 'google', 'entra', 'keycloak', 'okta'] as const;
export type DemoProfileName = (typeof DEMO_PROFILE_NAMES)[number];

/** How a client names the API it wants an access token for. */
export type ApiAudienceStyle =
  /** RFC 8707 `resource` parameter. */
  | 'resource'
  /** Auth0's `audience` parameter at /authorize. */
  | 'audience'
  /** Scopes prefixed with the API's identifier (`<api>/read:appointments`), one API per token. */
  | 'scope-prefix'
  /** The authorization server's configured audience, whatever the client sends. */
  | 'default'
  /** No custom APIs: access tokens are for the provider's own APIs (opaque to us). */
  | 'none';

/** ID-token signing algorithms the demo has keys for. */
export type IdTokenAlg = 'RS256' | 'ES256' | 'ES384';

export interface RefreshTokenRotation {
  /** `always`: a new refresh token on every use; `never`; `late`: oidc-provider's default rule. */
  readonly rotate: 'always' | 'never' | 'late';
  /**
   * Seconds a replaced refresh token stays usable: 0 = reusing it is a breach (the grant is
   * revoked), `Infinity` = it simply stays valid.
   */
  readonly reuseLeewaySeconds: number;
}

/** An Auth0-style organization the demo accounts belong to. */
export interface DemoOrganization {
  readonly id: string;
  /** Lower-case name, as in Auth0's `org_name` claim. */
  readonly name: string;
  /** Invitation tickets that open a login into this organization. */
  readonly invitations: readonly string[];
}

export interface DemoProviderProfile {
  readonly name: DemoProfileName;
  /** The provider's own documentation this profile follows. */
  readonly sources: readonly string[];
  /** Appended to the provider's origin to make the issuer ('' = the bare origin, no trailing slash). */
  readonly issuerPath: string;
  readonly apiAudience: ApiAudienceStyle;
  /**
   * RFC 8707 §2.2 lets a token request omit `resource`; when false, a code exchange or refresh
   * without `resource` gets an opaque token for UserInfo only, even if /authorize named the API.
   */
  readonly useGrantedResource: boolean;
  /** Algorithms the provider may sign ID tokens with; the first is used for the demo client. */
  readonly idTokenSigningAlgs: readonly [IdTokenAlg, ...IdTokenAlg[]];
  /**
   * How a refresh token is asked for: the `offline_access` scope, Google's `access_type=offline`
   * (which refuses the `offline_access` scope with `invalid_scope`), or not at all (Keycloak
   * issues one with every code exchange).
   */
  readonly offlineAccess: 'scope' | 'access_type' | 'always';
  /** Whether the provider issues a refresh token only when consent was prompted for (oidc-provider's rule). */
  readonly offlineAccessNeedsConsent: boolean;
  readonly rotation: RefreshTokenRotation;
  /** RP-initiated logout: the discovered end-session endpoint, Auth0's legacy `/v2/logout`, or none. */
  readonly logout: 'end-session' | 'auth0-v2-logout' | 'none';
  /** The end-session endpoint refuses a request without `id_token_hint`. */
  readonly logoutNeedsIdTokenHint: boolean;
  /** RFC 7009 token revocation endpoint. */
  readonly revocation: boolean;
  /** Auth0 organizations: `organization` and `invitation` at /authorize, `org_id`/`org_name` in the ID token. */
  readonly organizations: readonly DemoOrganization[];
  /**
   * Auth0's multi-resource refresh tokens: the application's refresh-token policies let a refresh
   * token mint a token for each of the provider's APIs with user scopes, chosen with `audience` on
   * the refresh-token grant; an audience outside the policies is ignored (default audience).
   */
  readonly multiResourceRefreshTokens?: boolean;
  /** Entra ID: the tenant id put in the `tid` claim (and in the issuer path). */
  readonly tenantId?: string;
}

/**
 * What an `OIDC_PROVIDER` preset is: the defaults a provider needs from a web client, each one
 * overridable by its own variable (OIDC_AUTH_METHOD, OIDC_SCOPE, OIDC_PROMPT,
 * OIDC_AUTHORIZATION_PARAMS, OIDC_LOGOUT, OIDC_LOGOUT_ID_TOKEN_HINT).
 */

export const PROVIDER_PRESET_NAMES = ['generic', 'auth0', 'logto', 'google', 'entra', 'keycloak', 'okta'] as const;
export type ProviderPresetName = (typeof PROVIDER_PRESET_NAMES)[number];

/**
 * How the app authenticates at the token, revocation and PAR endpoints: a shared secret in the
 * Basic header or the form body (RFC 6749 §2.3.1), or an assertion signed with the app's private
 * key (`private_key_jwt`, RFC 7523 §2.2, OIDC Core §9). Presets only ever pick a secret method.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * How the browser leaves at logout: `end-session` (RP-initiated logout at the discovered endpoint,
 * local only when there is none), `auth0` (the end-session endpoint when the tenant advertises it,
 * else Auth0's `/v2/logout`), `local` (revoke and end our session only).
 */
export const LOGOUT_STYLES = ['end-session', 'auth0', 'local'] as const;
export type LogoutStyle = (typeof LOGOUT_STYLES)[number];

/** How the provider expects to be told which API a token is for (used by the start-up check). */
export type ApiAudienceStyle = 'resource' | 'audience' | 'scope-prefix' | 'default' | 'none' | 'unknown';

export interface ProviderPreset {
  readonly name: ProviderPresetName;
  /** The provider's page about setting up a web application. */
  readonly docs: string;
  readonly authMethod: ClientAuthMethod;
  readonly scope: string;
  readonly prompt: string | undefined;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly logout: LogoutStyle;
  readonly logoutIdTokenHint: boolean;
  readonly apiAudience: ApiAudienceStyle;
}

/**
 * Parameters sent with every token request of a user's login: the code exchange and each refresh.
 *
 * RFC 8707 §2.2 lets a client name the resource again at the token endpoint, and some providers
 * require it: Logto applies a resource granted at /authorize only when the token request repeats
 * it, and otherwise issues an opaque token that only UserInfo accepts
 * (https://docs.logto.io/authorization/api-resources/protect-your-api). Sending it is harmless
 * where the granted resource is applied anyway.
 *
 * Auth0's `audience` is not repeated: Auth0 applies the audience of the authorization request to
 * the code exchange and to refreshes, and ignores an audience its refresh-token policies do not list
 * (https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token).
 */
import type { OidcConfig } from '../config/config.js';

export function tokenEndpointParameters(settings: Pick<OidcConfig, 'resource'>): Readonly<Record<string, string>> {
  return settings.resource ? { resource: settings.resource } : {};
}

/**
 * `keycloak`: a Keycloak realm (version 18 or later).
 *
 * - Issuer `https://host/realms/{realm}`:
 *   https://www.keycloak.org/docs/latest/server_admin/
 * - The access token's audience comes from the client's audience mappers, not from a request
 *   parameter: https://www.keycloak.org/docs/latest/server_admin/
 * - A refresh token comes with every code exchange (`offline_access` asks for an offline token).
 * - Each refresh returns a new refresh token; with "Revoke Refresh Token" off (the default) the
 *   old one stays valid: https://www.keycloak.org/docs/latest/server_admin/
 * - Logout: `post_logout_redirect_uri` needs `id_token_hint` or `client_id`:
 *   https://www.keycloak.org/docs/latest/upgrading/
 */
import type { DemoProviderProfile } from './profile.js';

export const keycloakProfile: DemoProviderProfile = {
  name: 'keycloak',
  sources: ['https://www.keycloak.org/docs/latest/server_admin/', 'https://www.keycloak.org/docs/latest/upgrading/'],
  issuerPath: '/realms/demo',
  apiAudience: 'default',
  useGrantedResource: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'always',
  offlineAccessNeedsConsent: false,
  rotation: { rotate: 'always', reuseLeewaySeconds: Number.POSITIVE_INFINITY },
  logout: 'end-session',
  logoutNeedsIdTokenHint: false,
  revocation: true,
  organizations: [],
};

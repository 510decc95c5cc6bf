/**
 * `keycloak`: a confidential OpenID Connect client ("Client authentication" on).
 * - A refresh token comes with every code exchange; `offline_access` would ask for an offline
 *   token, which outlives the SSO session: https://www.keycloak.org/docs/latest/server_admin/
 * - The access token's audience comes from an audience mapper on the client.
 * - Logout: `post_logout_redirect_uri` with `client_id` (or `id_token_hint`):
 *   https://www.keycloak.org/docs/latest/upgrading/
 */
import type { ProviderPreset } from './preset.js';

export const keycloakPreset: ProviderPreset = {
  name: 'keycloak',
  docs: 'https://www.keycloak.org/docs/latest/server_admin/',
  authMethod: 'client_secret_basic',
  scope: 'openid profile email',
  prompt: undefined,
  authorizationParams: {},
  logout: 'end-session',
  logoutIdTokenHint: false,
  apiAudience: 'default',
};

/**
 * `google`: a Web application OAuth client.
 * - A refresh token needs `access_type=offline`, and `prompt=consent` to get one again on a later
 *   login; the `offline_access` scope is refused:
 *   https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * - No end-session endpoint: logout revokes the token and ends our session only:
 *   https://developers.google.com/identity/openid-connect/reference
 * - Access tokens are for Google's APIs; there is no custom API audience.
 */
import type { ProviderPreset } from './preset.js';

export const googlePreset: ProviderPreset = {
  name: 'google',
  docs: 'https://developers.google.com/identity/openid-connect/openid-connect',
  authMethod: 'client_secret_basic',
  scope: 'openid profile email',
  prompt: 'consent',
  authorizationParams: { access_type: 'offline' },
  logout: 'local',
  logoutIdTokenHint: false,
  apiAudience: 'none',
};

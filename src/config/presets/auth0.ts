/**
 * `auth0`: a Regular Web Application.
 * - Token endpoint authentication "Client Secret (Post)":
 *   https://auth0.com/docs/get-started/applications/credentials
 * - The API is named with `audience`: https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens
 * - `offline_access` asks for a refresh token (with "Allow Offline Access" on the API):
 *   https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens
 * - Logout: the end-session endpoint when the tenant has "RP-Initiated Logout End Session Endpoint
 *   Discovery" on, else `/v2/logout`: https://auth0.com/docs/authenticate/login/logout/log-users-out-of-auth0
 */
import type { ProviderPreset } from './preset.js';

export const auth0Preset: ProviderPreset = {
  name: 'auth0',
  docs: 'https://auth0.com/docs/get-started/applications/application-settings',
  authMethod: 'client_secret_post',
  scope: 'openid profile email offline_access',
  prompt: undefined,
  authorizationParams: {},
  logout: 'auth0',
  logoutIdTokenHint: false,
  apiAudience: 'audience',
};

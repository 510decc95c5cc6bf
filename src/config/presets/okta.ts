/**
 * `okta`: an OIDC Web Application on a custom authorization server.
 * - client_secret_basic is the default: https://developer.okta.com/docs/api/openapi/okta-oauth/guides/client-auth
 * - `offline_access` (and the Refresh Token grant on the app) for a refresh token:
 *   https://developer.okta.com/docs/guides/refresh-tokens/main/
 * - The audience is the authorization server's; logout needs `id_token_hint`:
 *   https://developer.okta.com/docs/guides/sign-users-out/aspnetcore/define-signout-callback/
 */
import type { ProviderPreset } from './preset.js';

export const oktaPreset: ProviderPreset = {
  name: 'okta',
  docs: 'https://developer.okta.com/docs/guides/sign-into-web-app-redirect/',
  authMethod: 'client_secret_basic',
  scope: 'openid profile email offline_access',
  prompt: undefined,
  authorizationParams: {},
  logout: 'end-session',
  logoutIdTokenHint: true,
  apiAudience: 'default',
};

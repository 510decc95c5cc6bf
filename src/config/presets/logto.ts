/**
 * `logto`: a Traditional Web application.
 * - client_secret_basic; `resource` at /authorize and at the token endpoint, else access tokens are
 *   opaque: https://docs.logto.io/authorization/api-resources/protect-your-api
 * - `offline_access` with `prompt=consent` for a refresh token (unless the app's "Always issue
 *   Refresh Token" is on): https://docs.logto.io/end-user-flows/sign-out (revoke, then end session)
 */
import type { ProviderPreset } from './preset.js';

export const logtoPreset: ProviderPreset = {
  name: 'logto',
  docs: 'https://docs.logto.io/authorization/api-resources/protect-your-api',
  authMethod: 'client_secret_basic',
  scope: 'openid profile email offline_access',
  prompt: 'consent',
  authorizationParams: {},
  logout: 'end-session',
  logoutIdTokenHint: false,
  apiAudience: 'resource',
};

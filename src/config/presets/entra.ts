/**
 * `entra`: Microsoft Entra ID (v2.0 endpoints), a Web platform app registration.
 * - The client secret is sent in the body: https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
 * - The API is named by scope prefix (`api://<app-id>/<scope>`), one resource per token:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc
 * - `offline_access` for a refresh token; logout at the end-session endpoint:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
 */
import type { ProviderPreset } from './preset.js';

export const entraPreset: ProviderPreset = {
  name: 'entra',
  docs: 'https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-register-app',
  authMethod: 'client_secret_post',
  scope: 'openid profile email offline_access',
  prompt: undefined,
  authorizationParams: {},
  logout: 'end-session',
  logoutIdTokenHint: false,
  apiAudience: 'scope-prefix',
};

/** `generic`: any OpenID provider; standard OIDC Core and RP-Initiated Logout behaviour. */
import type { ProviderPreset } from './preset.js';

export const genericPreset: ProviderPreset = {
  name: 'generic',
  docs: 'https://openid.net/specs/openid-connect-core-1_0.html',
  // RFC 6749 §2.3.1: servers must support HTTP Basic for client secrets.
  authMethod: 'client_secret_basic',
  // OIDC Core §11: offline_access asks for a refresh token.
  scope: 'openid profile email offline_access',
  prompt: undefined,
  authorizationParams: {},
  logout: 'end-session',
  logoutIdTokenHint: false,
  apiAudience: 'unknown',
};

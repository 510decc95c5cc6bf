/**
 * `google`: Google's OpenID Connect dialect.
 *
 * - Issuer `https://accounts.google.com`, scopes `openid email profile` only, no end-session
 *   endpoint, a revocation endpoint: https://developers.google.com/identity/openid-connect/reference
 * - No way to ask for a token for your own API: access tokens are for Google's APIs (opaque).
 * - A refresh token comes with `access_type=offline`, and again on a later login only with
 *   `prompt=consent`; the `offline_access` scope is refused with `invalid_scope`:
 *   https://developers.google.com/identity/protocols/oauth2/web-server#offline
 * - Logout is local: revoke the token, there is nothing to redirect to.
 */
import type { DemoProviderProfile } from './profile.js';

export const googleProfile: DemoProviderProfile = {
  name: 'google',
  sources: [
    'https://developers.google.com/identity/openid-connect/reference',
    'https://developers.google.com/identity/protocols/oauth2/web-server#offline',
  ],
  issuerPath: '',
  apiAudience: 'none',
  useGrantedResource: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'access_type',
  offlineAccessNeedsConsent: true,
  // Google does not document refresh-token rotation for web apps; the demo returns the same one.
  rotation: { rotate: 'never', reuseLeewaySeconds: 0 },
  logout: 'none',
  logoutNeedsIdTokenHint: false,
  revocation: true,
  organizations: [],
};

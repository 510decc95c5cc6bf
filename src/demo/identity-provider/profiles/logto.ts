/**
 * `logto`: oidc-provider configured the way Logto configures it.
 *
 * - Issuer `<endpoint>/oidc`: https://docs.logto.io/authorization/api-resources/protect-your-api
 * - `resource` must be sent at /authorize and again at the token endpoint; without it the token
 *   is opaque, good only at UserInfo (resourceIndicators.useGrantedResource is false):
 *   https://docs.logto.io/authorization/api-resources/protect-your-api ,
 *   https://docs.logto.io/concepts/opaque-token
 * - Refresh tokens need `offline_access` and `prompt=consent` (unless the app's "Always issue
 *   Refresh Token" switch is on): https://github.com/logto-io/logto/releases/tag/v1.4.0
 * - Rotation follows oidc-provider's default rule: a confidential client gets a new refresh token
 *   only late in the old one's life, so a web app usually gets the same one back.
 * - ID tokens are signed with ES384 by default: https://docs.logto.io/developers/signing-keys
 * - Traditional web apps authenticate with client_secret_basic; logout is the end-session
 *   endpoint after revoking the refresh token.
 */
import type { DemoProviderProfile } from './profile.js';

export const logtoProfile: DemoProviderProfile = {
  name: 'logto',
  sources: [
    'https://docs.logto.io/authorization/api-resources/protect-your-api',
    'https://docs.logto.io/concepts/opaque-token',
    'https://docs.logto.io/developers/signing-keys',
    'https://github.com/logto-io/logto/releases/tag/v1.4.0',
  ],
  issuerPath: '/oidc',
  apiAudience: 'resource',
  useGrantedResource: false,
  idTokenSigningAlgs: ['ES384', 'RS256', 'ES256'],
  offlineAccess: 'scope',
  offlineAccessNeedsConsent: true,
  rotation: { rotate: 'late', reuseLeewaySeconds: 0 },
  logout: 'end-session',
  logoutNeedsIdTokenHint: false,
  revocation: true,
  organizations: [],
};

/**
 * `standard`: oidc-provider as the demo has always configured it, strict where the specs allow.
 *
 * - Issuer is the bare origin; RFC 8707 `resource` names the API, applied at the token endpoint
 *   too when the request names none (RFC 8707 §2.2).
 * - Refresh tokens need `offline_access` and `prompt=consent`, and rotate on every use; reusing a
 *   replaced one revokes the grant (RFC 9700 §4.14.2).
 */
import type { DemoProviderProfile } from './profile.js';

export const standardProfile: DemoProviderProfile = {
  name: 'standard',
  sources: [
    'https://github.com/panva/node-oidc-provider/blob/main/docs/README.md',
    'https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2',
  ],
  issuerPath: '',
  apiAudience: 'resource',
  useGrantedResource: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'scope',
  offlineAccessNeedsConsent: true,
  rotation: { rotate: 'always', reuseLeewaySeconds: 0 },
  logout: 'end-session',
  logoutNeedsIdTokenHint: false,
  revocation: true,
  organizations: [],
};

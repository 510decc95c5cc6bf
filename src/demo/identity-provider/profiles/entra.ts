/**
 * `entra`: Microsoft Entra ID (v2.0 endpoints), single-tenant.
 *
 * - Issuer `https://login.microsoftonline.com/{tid}/v2.0`; the ID token carries the tenant in
 *   `tid` (multi-tenant discovery at /common shows the `{tenantid}` template):
 *   https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 * - The API is named by scope prefix (`api://<app>/read`), one resource per token:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc
 * - Refresh tokens need `offline_access`; each refresh returns a new one but the old one is not
 *   revoked: https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
 * - There is no revocation endpoint; logout is the end-session endpoint:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#send-a-sign-out-request
 */
import type { DemoProviderProfile } from './profile.js';

/** A made-up tenant id in Entra's GUID form. */
export const DEMO_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export const entraProfile: DemoProviderProfile = {
  name: 'entra',
  sources: [
    'https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference',
    'https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc',
    'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
    'https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc',
  ],
  issuerPath: `/${DEMO_TENANT_ID}/v2.0`,
  apiAudience: 'scope-prefix',
  useGrantedResource: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'scope',
  offlineAccessNeedsConsent: false,
  rotation: { rotate: 'always', reuseLeewaySeconds: Number.POSITIVE_INFINITY },
  logout: 'end-session',
  logoutNeedsIdTokenHint: false,
  revocation: false,
  organizations: [],
  tenantId: DEMO_TENANT_ID,
};

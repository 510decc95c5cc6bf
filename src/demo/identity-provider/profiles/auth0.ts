/**
 * `auth0`: Auth0's dialect.
 *
 * - Issuer `https://{domain}/`, trailing slash included, in discovery and in `iss` (every
 *   tenant's /.well-known/openid-configuration shows it).
 * - The API is named with `audience` at /authorize:
 *   https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens
 * - Multi-resource refresh tokens: the application's refresh-token policies (here: every API with
 *   user scopes) let one refresh token mint a token per API, named with `audience` on the
 *   refresh-token grant; an audience no policy lists is silently ignored and the token is for the
 *   default audience:
 *   https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token ,
 *   https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token/configure-and-implement-multi-resource-refresh-token
 * - Refresh tokens need `offline_access` ("Allow Offline Access" on the API), no consent prompt:
 *   https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens
 * - Rotation with a "Rotation Overlap Period" (leeway, default 0): reusing a replaced token
 *   outside it is treated as a breach and revokes the family:
 *   https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation
 * - Tenants without RP-initiated logout use `/v2/logout?returnTo&client_id`:
 *   https://auth0.com/docs/api/authentication/logout/auth-0-logout
 * - Organizations: `organization` and `invitation` at /authorize, `org_id` and `org_name` in the
 *   ID token, which the app must check: https://auth0.com/docs/manage-users/organizations/using-tokens ,
 *   https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members
 */
import type { DemoProviderProfile } from './profile.js';

/** Auth0's Rotation Overlap Period, in seconds (0 is Auth0's default). */
const ROTATION_OVERLAP_SECONDS = 0;

export const auth0Profile: DemoProviderProfile = {
  name: 'auth0',
  sources: [
    'https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens',
    'https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token',
    'https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation',
    'https://auth0.com/docs/api/authentication/logout/auth-0-logout',
    'https://auth0.com/docs/manage-users/organizations/using-tokens',
    'https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members',
  ],
  issuerPath: '/',
  apiAudience: 'audience',
  useGrantedResource: true,
  multiResourceRefreshTokens: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'scope',
  offlineAccessNeedsConsent: false,
  rotation: { rotate: 'always', reuseLeewaySeconds: ROTATION_OVERLAP_SECONDS },
  logout: 'auth0-v2-logout',
  logoutNeedsIdTokenHint: false,
  revocation: true,
  organizations: [{ id: 'org_demo4cme', name: 'acme', invitations: ['inv_demo_welcome'] }],
};

/**
 * `okta`: an Okta custom authorization server.
 *
 * - Issuer `https://{domain}/oauth2/{authServerId}`, e.g. `/oauth2/default`:
 *   https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/customas
 * - Each authorization server has its own audience (`api://default`); clients do not ask for one:
 *   https://help.okta.com/en-us/Content/topics/security/api-config-auth-server.htm
 * - Refresh tokens need `offline_access` and the refresh grant on the app; with rotation, a
 *   replaced token may be reused within a grace period (30 s by default), after which reuse
 *   revokes the tokens: https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/
 * - Logout at `/v1/logout` takes `id_token_hint`:
 *   https://developer.okta.com/docs/guides/sign-users-out/aspnetcore/define-signout-callback/
 * - client_secret_basic is the default client authentication:
 *   https://developer.okta.com/docs/api/openapi/okta-oauth/guides/client-auth
 */
import type { DemoProviderProfile } from './profile.js';

/** Okta's default refresh-token grace period, in seconds. */
const GRACE_PERIOD_SECONDS = 30;

export const oktaProfile: DemoProviderProfile = {
  name: 'okta',
  sources: [
    'https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/customas',
    'https://help.okta.com/en-us/Content/topics/security/api-config-auth-server.htm',
    'https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/',
    'https://developer.okta.com/docs/guides/sign-users-out/aspnetcore/define-signout-callback/',
  ],
  issuerPath: '/oauth2/default',
  apiAudience: 'default',
  useGrantedResource: true,
  idTokenSigningAlgs: ['RS256'],
  offlineAccess: 'scope',
  offlineAccessNeedsConsent: false,
  rotation: { rotate: 'always', reuseLeewaySeconds: GRACE_PERIOD_SECONDS },
  logout: 'end-session',
  logoutNeedsIdTokenHint: true,
  revocation: true,
  organizations: [],
};

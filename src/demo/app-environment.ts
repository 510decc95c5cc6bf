/**
 * What an app needs to use the embedded provider, run on its own (`npm run demo:provider`, standard
 * profile), as it would use a real one: the production start's test and the benchmark configure
 * the app with exactly this.
 */
import { DEMO_API_AUDIENCE, DEMO_CLIENT, DEMO_USER_SCOPES } from '../config/config.js';

export function demoAppEnvironment(issuer: string, apiBaseUrl: string): Record<string, string> {
  return {
    OIDC_ISSUER: issuer,
    OIDC_CLIENT_ID: DEMO_CLIENT.clientId,
    OIDC_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
    OIDC_RESOURCE: DEMO_API_AUDIENCE,
    OIDC_SCOPE: `openid profile email offline_access ${DEMO_USER_SCOPES}`,
    // oidc-provider issues a refresh token for offline_access only after a consent prompt (OIDC Core §11).
    OIDC_PROMPT: 'consent',
    API_BASE_URL: apiBaseUrl,
  };
}

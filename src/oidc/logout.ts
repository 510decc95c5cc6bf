/**
 * Ending the login: revoke, then RP-initiated logout.
 *
 * - The refresh token is revoked when the provider has a revocation endpoint
 *   (RFC 7009 §2), best-effort: logout must work even if the provider is slow.
 * - With an `end_session_endpoint` the browser goes there with `client_id`, the
 *   registered `post_logout_redirect_uri` and a `state` (OpenID Connect
 *   RP-Initiated Logout 1.0 §2). The spec also allows `id_token_hint`, but that
 *   puts the ID token in a URL (browser history, provider access logs), which our
 *   rule "no token in a URL we generate" forbids; `client_id` is the spec's
 *   alternative. `OIDC_LOGOUT_ID_TOKEN_HINT=true` opts in for providers that
 *   insist on the hint (Okta). `ui_locales` (§2) asks for the provider's logout page in the
 *   visitor's language.
 * - The style is configured (OIDC_LOGOUT, set by the preset), never guessed
 *   from the issuer: `auth0` falls back to Auth0's `/v2/logout` for tenants
 *   without the endpoint (https://auth0.com/docs/api/authentication/logout/auth-0-logout);
 *   `local` (Google, which has no end-session endpoint) ends only our session.
 */
import * as client from 'openid-client';
import type { LogoutStyle } from '../config/config.js';
import type { Logger } from '../logger.js';
import { errorSummary } from '../errors.js';

export async function revokeRefreshToken(
  configuration: client.Configuration,
  refreshToken: string,
  logger: Logger,
): Promise<boolean> {
  if (!configuration.serverMetadata().revocation_endpoint) return false;
  try {
    await client.tokenRevocation(configuration, refreshToken, { token_type_hint: 'refresh_token' });
    return true;
  } catch (err) {
    logger.warn({ reason: errorSummary(err) }, 'refresh token revocation failed');
    return false;
  }
}

/** Whether logout sends the browser to the provider (the logout page says so). */
export function leavesForProvider(metadata: client.ServerMetadata, style: LogoutStyle): boolean {
  if (style === 'local') return false;
  return style === 'auth0' || Boolean(metadata.end_session_endpoint);
}

export function buildLogoutRedirect(
  configuration: client.Configuration,
  input: {
    idToken: string | undefined;
    postLogoutRedirectUri: string;
    clientId: string;
    style: LogoutStyle;
    sendIdTokenHint: boolean;
    /** The visitor's language (a BCP 47 tag). */
    uiLocales?: string;
  },
): string {
  const metadata = configuration.serverMetadata();
  if (!leavesForProvider(metadata, input.style)) return input.postLogoutRedirectUri;
  if (metadata.end_session_endpoint) {
    const parameters: Record<string, string> = {
      post_logout_redirect_uri: input.postLogoutRedirectUri,
      state: client.randomState(),
    };
    if (input.sendIdTokenHint && input.idToken) parameters.id_token_hint = input.idToken;
    if (input.uiLocales) parameters.ui_locales = input.uiLocales;
    // buildEndSessionUrl adds client_id, which identifies us without the ID token.
    return client.buildEndSessionUrl(configuration, parameters).href;
  }
  // Auth0's legacy logout, for tenants that publish no end-session endpoint.
  const url = new URL('/v2/logout', metadata.issuer);
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('returnTo', input.postLogoutRedirectUri);
  return url.href;
}

/**
 * OpenID Connect Core §12.2: an ID token that comes back from a refresh must
 * name the same issuer and the same subject as the login's, and its audience
 * must contain our client id. Anything else is a different login (or a lying
 * provider): the caller ends the session.
 *
 * openid-client already refuses an ID token whose `iss` is not the configured
 * issuer or whose `aud` lacks the client (it throws `ClientError` with code
 * `OAUTH_JWT_CLAIM_COMPARISON_FAILED`, recognised by `isIdTokenClaimMismatch`);
 * it cannot compare with the login because it does not know it. This check
 * compares with the login.
 */
import { decodeJwt, type JWTPayload } from 'jose';

/** Why `refreshed` cannot continue the login of `previousIdToken`, or undefined when it can. */
export function refreshedIdTokenMismatch(
  previousIdToken: string | undefined,
  refreshed: JWTPayload,
): string | undefined {
  // The stored ID token was verified at login; here it is only the record of who logged in.
  // A login without an ID token (plain OAuth) leaves nothing to compare with.
  if (previousIdToken === undefined) return undefined;
  const previous = safeDecode(previousIdToken);
  if (!previous) return 'unreadable_login_id_token';
  if (refreshed.iss !== previous.iss) return 'iss';
  if (refreshed.sub !== previous.sub) return 'sub';
  return undefined;
}

function safeDecode(jwt: string): JWTPayload | undefined {
  try {
    return decodeJwt(jwt);
  } catch {
    return undefined;
  }
}

/** True for openid-client's "a claim of the ID token has an unexpected value" (iss or aud). */
export function isIdTokenClaimMismatch(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED';
}

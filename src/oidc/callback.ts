/**
 * Checking the authorization response and exchanging the code (RFC 6749 §4.1.2–4.1.4).
 *
 * Rules enforced here, before any token request is made:
 * - Every protocol parameter appears at most once; "last one wins" parsing has
 *   been exploited in peers (RFC 9700 §4.4: mix-up and parameter injection).
 * - `state` must name a pending login of *this* session, unexpired; it is
 *   consumed whatever happens next, so a callback URL works once (RFC 9700 §4.2.4).
 * - Provider errors (RFC 6749 §4.1.2.1) are shown only for a state we issued,
 *   so nobody can put arbitrary text on our pages with a crafted link.
 * Then openid-client checks `iss` (RFC 9207 §2.4), PKCE, the ID token
 * signature, `aud`, `exp`, and `nonce` (OIDC Core §3.1.3.7); we add `iat`
 * not in the future beyond the clock tolerance.
 */
import * as client from 'openid-client';
import {
  AppError,
  ClientAuthenticationError,
  isClientAuthenticationFailure,
  isProviderOutage,
  isTimeout,
  LoginError,
  ProviderAuthorizationError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../errors.js';
import type { DPoPKey } from '../dpop/dpop-key.js';
import { CLOCK_TOLERANCE_SECONDS } from './client.js';
import type { PendingLogin } from './login.js';
import { tokenSetFromResponse, type TokenSet } from './tokens.js';

const SINGLE_VALUED = ['code', 'state', 'iss', 'error', 'error_description', 'session_state'];

export interface CallbackOutcome {
  readonly tokens: TokenSet;
  readonly claims: client.IDToken;
  readonly returnTo: string;
  /** Which checks passed, for the flow inspector. */
  readonly checks: readonly string[];
}

/** Finds and validates the pending login named by `state`, without using it yet. */
export function matchPendingLogin(
  callbackUrl: URL,
  pending: Readonly<Record<string, PendingLogin>> | undefined,
  now: number,
): PendingLogin {
  const params = callbackUrl.searchParams;
  for (const name of SINGLE_VALUED) {
    if (params.getAll(name).length > 1) {
      throw new LoginError('duplicate_parameter', 'errors:message.duplicate_parameter', { values: { name } });
    }
  }
  const state = params.get('state');
  if (!state) throw new LoginError('missing_state', 'errors:message.missing_state');
  // Own properties only: `state=__proto__` must not find Object.prototype.
  const login = pending && Object.hasOwn(pending, state) ? pending[state] : undefined;
  if (!login) {
    throw new LoginError('invalid_state', 'errors:message.invalid_state');
  }
  if (now > login.expiresAt) {
    throw new LoginError('login_expired', 'errors:message.login_expired');
  }
  const error = params.get('error');
  if (error) throw new ProviderAuthorizationError(error, params.get('error_description') ?? undefined);
  if (!params.get('code')) throw new LoginError('missing_code', 'errors:message.missing_code');
  return login;
}

/**
 * Exchanges the code; `login` must already be removed from the session. `tokenParameters` are
 * sent with the token request (token-request.ts). With `dpop`, the request carries a proof of
 * that key (RFC 9449 §5) and the tokens are bound to it: the record keeps the key.
 */
export async function finishLogin(
  configuration: client.Configuration,
  callbackUrl: URL,
  login: PendingLogin,
  now: () => number,
  tokenParameters: Readonly<Record<string, string>> = {},
  dpop?: DPoPKey,
): Promise<CallbackOutcome> {
  let response: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    response = await client.authorizationCodeGrant(
      configuration,
      callbackUrl,
      {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      },
      tokenParameters,
      dpop && { DPoP: dpop.grantHandle(configuration) },
    );
  } catch (err) {
    throw translateGrantError(err, 'token_exchange_failed', 'errors:message.token_exchange_failed');
  }
  const claims = response.claims();
  if (!claims) throw new LoginError('missing_id_token', 'errors:message.missing_id_token');
  // openid-client checks `exp` with the tolerance but not an `iat` in the future (OIDC Core §3.1.3.7
  // item 10 lets the client limit how far off `iat` may be): a token "issued" later than now plus
  // the tolerance comes from a wrong clock or was minted ahead of time.
  if (claims.iat > Math.floor(now() / 1000) + CLOCK_TOLERANCE_SECONDS) {
    throw new LoginError('token_exchange_failed', 'errors:message.token_exchange_failed', {
      details: { reason: 'id_token_iat_in_future' },
    });
  }
  return {
    tokens: { ...tokenSetFromResponse(response, now()), ...(dpop && { dpopKey: dpop.record }) },
    claims,
    returnTo: login.returnTo,
    checks: ['state', 'iss', 'pkce', 'id_token_signature', 'id_token_claims', 'nonce'],
  };
}

/**
 * Maps openid-client errors to ours: provider answers → 400 with the OAuth
 * error code, a timeout → 504 (never retried: the code may be spent), other network trouble → 503, anything else → 400 with the
 * library's stable code (e.g. OAUTH_JWT_CLAIM_COMPARISON_FAILED for a bad nonce).
 */
function translateGrantError(err: unknown, code: string, messageKey: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new ProviderAuthorizationError(err.error, err.error_description);
  }
  if (isTimeout(err)) return new ProviderTimeoutError(err);
  if (isProviderOutage(err)) return new ProviderUnavailableError(err);
  if (isClientAuthenticationFailure(err)) return new ClientAuthenticationError({ cause: err });
  if (err instanceof client.ResponseBodyError) {
    return new LoginError(code, messageKey, { cause: err, details: { error: err.error } });
  }
  const libraryCode = (err as { code?: unknown } | null)?.code;
  return new LoginError(code, messageKey, {
    cause: err,
    details: typeof libraryCode === 'string' ? { reason: libraryCode } : {},
  });
}

/**
 * UserInfo claims (OIDC Core §5.3), best-effort: the login does not depend on
 * them. The response's `sub` must equal the ID token's (§5.3.4), which
 * openid-client checks. An access token issued for another audience (an API
 * resource) may be refused here; that is logged and the ID token's claims stay.
 * `dpop`: the login's key, when the access token is bound to it.
 */
export async function fetchUserClaims(
  configuration: client.Configuration,
  accessToken: string,
  subject: string,
  dpop?: DPoPKey,
): Promise<{ claims?: Record<string, unknown>; error?: string }> {
  if (!configuration.serverMetadata().userinfo_endpoint) return { error: 'no_userinfo_endpoint' };
  try {
    // RFC 9449 §7: a DPoP-bound token is presented with a proof, at UserInfo too.
    const options = dpop && { DPoP: dpop.grantHandle(configuration) };
    return { claims: await client.fetchUserInfo(configuration, accessToken, subject, options) };
  } catch (err) {
    if (err instanceof client.WWWAuthenticateChallengeError)
      return { error: err.cause[0]?.parameters.error ?? 'refused' };
    if (err instanceof client.ResponseBodyError) return { error: err.error };
    return { error: (err as { code?: string }).code ?? 'failed' };
  }
}

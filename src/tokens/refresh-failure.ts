/**
 * What a failed refresh-token grant means for the caller (token-service.ts):
 * - `invalid_grant` (RFC 6749 §5.2: revoked or expired refresh token), or a refreshed ID token
 *   that does not continue the login (oidc/refreshed-id-token.ts): the login is over, 401
 *   `login_required`;
 * - the provider unreachable: 503, retried after a backoff;
 * - our own client authentication refused: the login stays, the deployment needs fixing;
 * - any other refusal: 502 `refresh_failed`.
 * A named API's own refusals (`invalid_target`, …) are told apart before this (api-tokens.ts).
 */
import * as client from 'openid-client';
import {
  AppError,
  ClientAuthenticationError,
  isClientAuthenticationFailure,
  isProviderOutage,
  LoginRequiredError,
  ProviderUnavailableError,
} from '../errors.js';
import { isIdTokenClaimMismatch } from '../oidc/refreshed-id-token.js';

/** A refreshed ID token that does not continue the login (the mismatching claim's name only). */
export class IdTokenMismatchError extends Error {
  constructor(claim: string) {
    super(`refreshed ID token does not match the login: ${claim}`);
    this.name = 'IdTokenMismatchError';
  }
}

export function classifyRefreshFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof IdTokenMismatchError || isIdTokenClaimMismatch(err)) {
    return new LoginRequiredError('errors:message.different_login');
  }
  if (isProviderOutage(err)) return new ProviderUnavailableError(err);
  if (isRefusedGrant(err)) return new LoginRequiredError('errors:message.session_ended');
  // Our credentials, not the login, were refused: keep the tokens, the fix is in the deployment.
  if (isClientAuthenticationFailure(err)) return new ClientAuthenticationError({ cause: err });
  if (err instanceof client.ResponseBodyError) {
    return new AppError(502, 'refresh_failed', 'errors:message.refresh_refused', {
      cause: err,
    });
  }
  return new AppError(502, 'refresh_failed', 'errors:message.refresh_failed', { cause: err });
}

/** The provider itself refused the refresh token: revoking it again is pointless. */
export function isRefusedGrant(err: unknown): boolean {
  return err instanceof client.ResponseBodyError && err.error === 'invalid_grant';
}

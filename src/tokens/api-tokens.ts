/**
 * One login, one refresh token, an access token per API.
 *
 * The code exchange returns the default API's access token. A named API's token comes from a
 * refresh-token grant that names the API: RFC 8707 §2.2 `resource` (the refresh token may mint
 * tokens for any resource granted at /authorize), or Auth0's `audience` with a multi-resource
 * refresh token policy
 * (https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token). The
 * grant's `scope` narrows the token to that API's scopes (RFC 6749 §6).
 *
 * Such a grant is a refresh like any other: it may rotate the refresh token, which every API's
 * next grant must use, so it goes through the same single-flight, lock and fenced store write
 * as the default API's refresh (token-service.ts). What it writes is the record with this API's
 * token replaced, and the new refresh token if one came.
 */
import * as client from 'openid-client';
import type { DownstreamApi } from '../config/apis.js';
import { AppError } from '../errors.js';
import type { ApiAccessToken, TokenSet, TokenSource } from '../oidc/tokens.js';

/** What a grant for a named API sends besides the refresh token. */
export interface ApiGrantTarget {
  readonly name: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export function apiGrantTarget(api: Pick<DownstreamApi, 'name' | 'audience' | 'resource' | 'scope'>): ApiGrantTarget {
  const parameters: Record<string, string> = {};
  if (api.resource) parameters['resource'] = api.resource;
  if (api.audience) parameters['audience'] = api.audience;
  if (api.scope) parameters['scope'] = api.scope;
  return { name: api.name, parameters };
}

/**
 * The provider's answers that mean "not this API, for this login", rather than "not this refresh
 * token": RFC 8707 §2 `invalid_target`, RFC 6749 §5.2 `invalid_scope`, and the consent or
 * interaction a token request cannot give (OIDC Core §3.1.2.6). The login stays; only this API
 * is refused until the next login.
 */
const API_REFUSALS = new Set(['invalid_target', 'invalid_scope', 'consent_required', 'interaction_required']);

export function isApiRefusal(err: unknown): err is client.ResponseBodyError {
  return err instanceof client.ResponseBodyError && API_REFUSALS.has(err.error);
}

export class ApiNotAuthorizedError extends AppError {
  constructor(api: string, error: string) {
    super(403, 'api_not_authorized', 'errors:message.api_not_authorized', {
      values: { api },
      details: { api, error },
    });
    this.name = 'ApiNotAuthorizedError';
  }
}

/** The named API's token in a record, if it has one. */
export function apiTokenOf(tokens: TokenSet, name: string): ApiAccessToken | undefined {
  return tokens.apiTokens?.[name];
}

/** The record after a grant for API `name`: its new token, the rotated refresh token, version + 1. */
export function withApiToken(
  current: TokenSet,
  name: string,
  response: client.TokenEndpointResponse,
  now: number,
  source: TokenSource,
): TokenSet {
  const lifetime =
    typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : current.lifetimeSeconds;
  const token: ApiAccessToken = {
    accessToken: response.access_token,
    tokenType: response.token_type ?? 'bearer',
    expiresAt: now + lifetime * 1000,
    lifetimeSeconds: lifetime,
    scope: response.scope,
    receivedAt: now,
    source,
  };
  return {
    ...current,
    // RFC 6749 §6: without a new refresh token the old one stays valid.
    refreshToken: response.refresh_token ?? current.refreshToken,
    // OIDC Core §12.2: a refresh may return a new ID token (checked by the caller).
    idToken: response.id_token ?? current.idToken,
    version: current.version + 1,
    apiTokens: { ...current.apiTokens, [name]: token },
  };
}

/** The record after the provider refused API `name`: remembered until the next login, version + 1. */
export function withApiRefusal(current: TokenSet, name: string, error: string): TokenSet {
  return { ...current, version: current.version + 1, apiRefusals: { ...current.apiRefusals, [name]: error } };
}

/**
 * A client-credentials token as we keep it, and the target it was asked for.
 *
 * - The target is issuer + client + audience/resource + scope + organization;
 *   one cache entry per target. Scope is order-insensitive (RFC 6749 §3.3), so
 *   it is normalised before it goes into the key.
 * - The lifetime is `expires_in` (RFC 6749 §5.1), else the JWT's own `exp`,
 *   else a short default, counted from when the request was sent.
 * - The token is renewed `refreshMarginMs(lifetime, 'client')` before it expires.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { TokenEndpointResponse } from 'openid-client';
import { refreshMarginMs } from '../tokens/refresh-margin.js';

/** A cached client-credentials token. Plain data, so a shared cache (Redis) can store it as JSON. */
export interface M2mToken {
  /** The access token. Never log it, never render it. */
  readonly accessToken: string;
  /** `token_type`, lower-cased by openid-client: `bearer`, or `dpop` for a DPoP-bound token (RFC 9449 §5). */
  readonly tokenType: string;
  /** A DPoP-bound token's key thumbprint (`cnf.jkt`, RFC 9449 §6.1); the key itself is never cached. */
  readonly dpopJkt?: string;
  /** Scope the provider stated in the response; `undefined` when it did not state one (RFC 6749 §5.1). */
  readonly grantedScope: string | undefined;
  /** Normalised scope that was requested (`''` when none). */
  readonly requestedScope: string;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  readonly organization: string | undefined;
  /** Epoch ms at which the token request was sent (lifetimes are counted from here, to be safe). */
  readonly issuedAt: number;
  /** Epoch ms: `issuedAt + expires_in`. The token is not used after this. */
  readonly expiresAt: number;
  /** Epoch ms: `expiresAt - margin`. From here on the next caller renews it. */
  readonly renewAt: number;
}

/** Per-call overrides of the configured target; unset fields take the configured value. */
export interface M2mTokenRequest {
  scope?: string;
  audience?: string;
  resource?: string;
  organization?: string;
}

/** The configured target of a client: what a call falls back to. */
export interface ConfiguredTarget {
  /** Issuer to discover (`/.well-known/openid-configuration`); its token endpoint is used. */
  readonly issuer: URL;
  readonly clientId: string;
  /** Auth0 API identifier (`audience` parameter). Set this or `resource`, not both. */
  readonly audience?: string | undefined;
  /** RFC 8707 resource indicator (`resource` parameter, Logto). */
  readonly resource?: string | undefined;
  /** Space-separated scopes (RFC 6749 §3.3). */
  readonly scope?: string | undefined;
  /** Auth0 Organizations: the organization the token is for. */
  readonly organization?: string | undefined;
}

/** One target, resolved and normalised, with its cache key. */
export interface TokenTarget {
  /** A hash, so a shared cache never shows client ids or audiences. */
  readonly key: string;
  readonly scope: string;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  readonly organization: string | undefined;
}

/** Lifetime assumed when the provider sends no `expires_in` (RFC 6749 §5.1: RECOMMENDED, not required) and the token is opaque. */
const DEFAULT_LIFETIME_SECONDS = 300;

/**
 * The target of one call: the request's fields over the configured ones. `boundTo` is the
 * thumbprint of the DPoP key the token will be bound to: tokens bound to different keys are
 * different entries, so a shared cache never hands one instance a token only another can prove.
 */
export function resolveTarget(configured: ConfiguredTarget, request: M2mTokenRequest, boundTo?: string): TokenTarget {
  // A per-call target replaces the configured one entirely (one of audience/resource).
  const targeted = request.audience !== undefined || request.resource !== undefined;
  const audience = (targeted ? request.audience : configured.audience) || undefined;
  const resource = (targeted ? request.resource : configured.resource) || undefined;
  if (audience && resource) throw new TypeError('getToken: give audience or resource, not both');
  const scope = normaliseScope(request.scope ?? configured.scope);
  const organization = (request.organization ?? configured.organization) || undefined;
  const { issuer, clientId } = configured;
  const identity = JSON.stringify([
    issuer.href,
    clientId,
    audience ?? null,
    resource ?? null,
    scope,
    organization ?? null,
    ...(boundTo ? [boundTo] : []),
  ]);
  const key = `m2m:${createHash('sha256').update(identity).digest('base64url')}`;
  return { key, scope, audience, resource, organization };
}

/** RFC 6749 §3.3: space-delimited, order does not matter; duplicates mean nothing. */
export function normaliseScope(scope: string | undefined): string {
  if (!scope) return '';
  return [...new Set(scope.split(/\s+/).filter(Boolean))].sort().join(' ');
}

/**
 * The token of a successful response (RFC 6749 §4.4.3) for `target`, requested at `issuedAt`;
 * `dpopJkt`: the thumbprint of the key the request was proved with, if any.
 */
export function tokenFromResponse(
  response: TokenEndpointResponse,
  target: TokenTarget,
  issuedAt: number,
  dpopJkt?: string,
): M2mToken {
  const lifetimeSeconds = lifetimeOf(response);
  const expiresAt = issuedAt + lifetimeSeconds * 1000;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    // RFC 9449 §5: `token_type: DPoP` says the provider bound the token to the proof's key.
    ...(dpopJkt && response.token_type === 'dpop' && { dpopJkt }),
    grantedScope: typeof response.scope === 'string' ? normaliseScope(response.scope) : undefined,
    requestedScope: target.scope,
    audience: target.audience,
    resource: target.resource,
    organization: target.organization,
    issuedAt,
    expiresAt,
    renewAt: expiresAt - refreshMarginMs(lifetimeSeconds, 'client'),
  };
}

/** `expires_in` (RFC 6749 §5.1), else the JWT's own `exp`, else a short default. */
function lifetimeOf(response: TokenEndpointResponse): number {
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)) {
    return Math.max(0, response.expires_in);
  }
  try {
    const { exp, iat } = decodeJwt(response.access_token);
    if (typeof exp === 'number') {
      return Math.max(0, exp - (typeof iat === 'number' ? iat : Math.floor(Date.now() / 1000)));
    }
  } catch {
    // Opaque token: nothing to read.
  }
  return DEFAULT_LIFETIME_SECONDS;
}

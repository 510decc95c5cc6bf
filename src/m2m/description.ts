/**
 * What the Machine-to-machine page (src/web/routes/m2m.routes.ts) shows about
 * the client-credentials tokens: the settings without the secret, the counters,
 * and each cache entry's metadata. Never the token itself.
 */
import type { ClientAuthMethod } from '../config/config.js';
import type { M2mErrorCode } from './errors.js';
import type { ConfiguredTarget, M2mToken } from './token.js';

/** Counters since the token source was created. */
export interface M2mStats {
  /** Requests sent to the token endpoint (cold fetches + renewals + retries after invalidation). */
  tokenRequests: number;
  /** `getToken` calls answered from the cache without any wait. */
  cacheHits: number;
  /** `getToken` calls that joined a token request already in flight (single flight). */
  coalesced: number;
  /** Token requests made because a cached token entered the renewal margin. */
  renewals: number;
  /** Failed discovery or token requests. */
  failures: number;
  /** Calls answered with a still-valid cached token because its renewal failed. */
  servedAfterFailedRenewal: number;
  /** Tokens dropped by `invalidate` (e.g. after a 401 `invalid_token` from the API). */
  invalidations: number;
  /** The last failure, for the page (code and time only). */
  lastError: { code: M2mErrorCode; at: number } | null;
}

/** All counters at zero. */
export function noStats(): M2mStats {
  return {
    tokenRequests: 0,
    cacheHits: 0,
    coalesced: 0,
    renewals: 0,
    failures: 0,
    servedAfterFailedRenewal: 0,
    invalidations: 0,
    lastError: null,
  };
}

/** The configuration as it may be shown: everything but the secret. */
export interface M2mPublicSettings {
  issuer: string;
  clientId: string;
  authMethod: ClientAuthMethod;
  audience: string | undefined;
  resource: string | undefined;
  scope: string | undefined;
  organization: string | undefined;
  /** `auth0`: audience parameter; `rfc8707`: resource parameter (Logto); `none`: neither. */
  targetStyle: 'auth0' | 'rfc8707' | 'none';
  /** Tokens bound to a DPoP key of this instance (M2M_DPOP, RFC 9449). */
  dpop: boolean;
}

/** One cache entry as shown on the page: metadata only, never the token. */
export interface M2mCacheEntryState {
  audience: string | undefined;
  resource: string | undefined;
  organization: string | undefined;
  requestedScope: string;
  /** Granted scopes as stated by the provider, or the requested ones when it stated none (RFC 6749 §5.1). */
  grantedScopes: string[];
  scopeStatedByProvider: boolean;
  tokenType: string;
  issuedAt: number;
  expiresAt: number;
  renewAt: number;
  lifetimeSeconds: number;
  ageSeconds: number;
  expiresInSeconds: number;
  renewsInSeconds: number;
  status: 'fresh' | 'renewal_due' | 'expired';
}

/** What the M2M page shows. */
export interface M2mCacheState {
  now: number;
  settings: M2mPublicSettings;
  /** The discovered token endpoint, once discovery has succeeded. */
  tokenEndpoint: string | undefined;
  stats: M2mStats;
  entries: M2mCacheEntryState[];
  /** With M2M_DPOP, once made: the thumbprint of the key the tokens are bound to (RFC 7638), never the key. */
  dpopJkt?: string;
}

/** The settings of a client as they may be shown (the secret is left out by construction). */
export function publicSettings(
  settings: ConfiguredTarget & { readonly authMethod: ClientAuthMethod; readonly dpop?: boolean | undefined },
): M2mPublicSettings {
  const { issuer, clientId, authMethod, audience, resource, scope, organization } = settings;
  return {
    issuer: issuer.href,
    clientId,
    authMethod,
    audience,
    resource,
    scope,
    organization,
    targetStyle: audience ? 'auth0' : resource ? 'rfc8707' : 'none',
    dpop: settings.dpop === true,
  };
}

/** One cache entry's metadata at time `now`. */
export function describeEntry(entry: M2mToken, now: number): M2mCacheEntryState {
  const granted = entry.grantedScope ?? entry.requestedScope;
  return {
    audience: entry.audience,
    resource: entry.resource,
    organization: entry.organization,
    requestedScope: entry.requestedScope,
    grantedScopes: granted ? granted.split(' ') : [],
    scopeStatedByProvider: entry.grantedScope !== undefined,
    tokenType: entry.tokenType,
    issuedAt: entry.issuedAt,
    expiresAt: entry.expiresAt,
    renewAt: entry.renewAt,
    lifetimeSeconds: Math.round((entry.expiresAt - entry.issuedAt) / 1000),
    ageSeconds: Math.max(0, Math.round((now - entry.issuedAt) / 1000)),
    expiresInSeconds: Math.max(0, Math.round((entry.expiresAt - now) / 1000)),
    renewsInSeconds: Math.max(0, Math.round((entry.renewAt - now) / 1000)),
    status: now >= entry.expiresAt ? 'expired' : now >= entry.renewAt ? 'renewal_due' : 'fresh',
  };
}

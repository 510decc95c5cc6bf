/**
 * Machine-to-machine access tokens: the OAuth 2.0 client credentials grant
 * (RFC 6749 §4.4) with a cache, in the two styles Auth0 and Logto document.
 *
 * - Auth0: `POST /oauth/token` with `audience` and `client_secret_post`
 *   (client id and secret in the form body, RFC 6749 §2.3.1).
 * - Logto: `POST /oidc/token` with `resource` (RFC 8707 §2) and `scope`, and
 *   HTTP Basic client authentication (`client_secret_basic`, RFC 6749 §2.3.1).
 * - Optional `organization` (Auth0 Organizations), sent as is.
 *
 * Caching policy (Auth0 "Management API tokens for production": never fetch a
 * token per call; providers rate-limit the token endpoint):
 * - One entry per issuer + client + audience/resource + scope + organization.
 *   Scope is order-insensitive (RFC 6749 §3.3), so it is normalised in the key.
 * - An entry is fresh until `expires_in` minus a margin (default 60 s, or a
 *   quarter of the lifetime for short tokens). The first caller inside the
 *   margin renews it; everyone else waits for that one request (single flight
 *   per key), as do concurrent callers on a cold cache.
 * - The entry is kept until the token really expires: if a renewal fails
 *   (provider down), the still-valid token keeps being served and renewal is
 *   retried at most every few seconds, so an outage of the provider is not an
 *   outage of the API calls until the token itself runs out.
 * - A token the API rejects (`401 invalid_token`) can be dropped with
 *   `invalidate(token)`; the next `getToken` fetches a new one.
 *
 * The token itself is never logged, never put into an error, and is not part
 * of `cacheState()`: only its metadata is. The client secret is never put into
 * an error message, a `cause` or a log line (errors are scrubbed for it).
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { ClientAuthMethod } from '../config/config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isNetworkError } from '../errors.js';
import { discoverProvider } from '../oidc/client.js';
import { errorSummary } from '../errors.js';

/** A cached client-credentials token. Plain data, so a shared cache (Redis) can store it as JSON. */
export interface M2mToken {
  /** The bearer token. Never log it, never render it. */
  readonly accessToken: string;
  /** `token_type`, lower-cased by openid-client (`bearer`). */
  readonly tokenType: string;
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

/**
 * Where tokens are kept. The default is in-memory; a shared one (Redis) lets
 * several instances share one token. Entries are JSON-serialisable. `set`
 * receives the seconds until the token expires, to use as the entry's TTL.
 */
export interface M2mTokenCache {
  get(key: string): Promise<M2mToken | undefined>;
  set(key: string, entry: M2mToken, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Options of {@link ClientCredentialsProvider}. */
export interface ClientCredentialsOptions {
  /** Issuer to discover (`/.well-known/openid-configuration`); its token endpoint is used. */
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** `client_secret_post` (Auth0's default) or `client_secret_basic` (Logto, RFC 6749 §2.3.1 MUST-support). */
  authMethod: ClientAuthMethod;
  /** Auth0 API identifier (`audience` parameter). Set this or `resource`, not both. */
  audience?: string | undefined;
  /** RFC 8707 resource indicator (`resource` parameter, Logto). */
  resource?: string | undefined;
  /** Space-separated scopes (RFC 6749 §3.3). */
  scope?: string | undefined;
  /** Auth0 Organizations: the organization the token is for. */
  organization?: string | undefined;
  /** Plain-HTTP provider: only for a loopback issuer (demo, tests). */
  allowInsecureRequests: boolean;
  /** Seconds to wait for discovery and for each token response. Default 10. */
  timeoutSeconds?: number;
  /** Renew this many seconds before expiry. Default: 60 s, or a quarter of the lifetime for short tokens. */
  renewBeforeSeconds?: number;
  /** After a failed renewal, wait this long before trying again (the cached token is served meanwhile). Default 5. */
  renewRetrySeconds?: number;
  /** Clock in epoch ms (tests move it). Default `Date.now`. */
  now?: () => number;
  /** Token cache. Default: an in-memory cache private to this provider. */
  cache?: M2mTokenCache;
  /** The app's pino logger; token requests, renewals and failures are logged (never the token). */
  logger?: Logger;
}

/** Per-call overrides of the configured target; unset fields take the configured value. */
export interface M2mTokenRequest {
  scope?: string;
  audience?: string;
  resource?: string;
  organization?: string;
}

/** Counters since the provider was created. */
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
  renewBeforeSeconds: number | undefined;
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
}

/** Stable codes of {@link M2mTokenError}. */
export type M2mErrorCode =
  | 'm2m_invalid_client'
  | 'm2m_unauthorized_client'
  | 'm2m_invalid_scope'
  | 'm2m_invalid_target'
  | 'm2m_provider_unavailable'
  | 'm2m_failed';

/**
 * A token could not be had. `code` is stable; `message` is safe to show and
 * never contains the client secret; `details.error` is the provider's OAuth
 * error code (RFC 6749 §5.2) when there was one.
 */
export class M2mTokenError extends AppError {
  declare readonly code: M2mErrorCode;
  /** The provider's OAuth error code, if it sent one. */
  readonly oauthError: string | undefined;

  constructor(
    status: 502 | 503,
    code: M2mErrorCode,
    message: string,
    options: { oauthError?: string | undefined; cause?: Error; details?: Record<string, string> } = {},
  ) {
    super(status, code, message, {
      cause: options.cause,
      details: options.details ?? {},
      ...(status === 503 ? { headers: { 'Retry-After': '5' } } : {}),
    });
    this.name = 'M2mTokenError';
    this.oauthError = options.oauthError;
  }
}

/** Lifetime assumed when the provider sends no `expires_in` (RFC 6749 §5.1: RECOMMENDED, not required) and the token is opaque. */
const DEFAULT_LIFETIME_SECONDS = 300;
const DEFAULT_MARGIN_SECONDS = 60;
const DEFAULT_RENEW_RETRY_SECONDS = 5;
const MAX_REMEMBERED_KEYS = 100;

/** In-memory {@link M2mTokenCache} with per-entry TTL and a size bound. */
export class MemoryM2mTokenCache implements M2mTokenCache {
  readonly #entries = new Map<string, { entry: M2mToken; until: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<M2mToken | undefined> {
    const found = this.#entries.get(key);
    if (!found) return undefined;
    if (found.until <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return found.entry;
  }

  async set(key: string, entry: M2mToken, ttlSeconds: number): Promise<void> {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      // Oldest write first (Map keeps insertion order).
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { entry, until: this.#now() + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}

interface ResolvedRequest {
  key: string;
  scope: string;
  audience: string | undefined;
  resource: string | undefined;
  organization: string | undefined;
}

/**
 * Gets and caches client-credentials access tokens for one M2M client.
 * One instance per client; share it between routes, jobs and the CLI.
 *
 * @example
 * const m2m = new ClientCredentialsProvider({ ...config.m2m, timeoutSeconds: 10, logger });
 * const { accessToken } = await m2m.getToken();
 */
export class ClientCredentialsProvider {
  readonly #options: ClientCredentialsOptions;
  readonly #now: () => number;
  readonly #cache: M2mTokenCache;
  readonly #logger: Logger | undefined;
  readonly #inflight = new Map<string, Promise<M2mToken>>();
  /** Keys used by this instance (for `cacheState` and `invalidate`: the cache interface has no listing). */
  readonly #known = new Map<string, ResolvedRequest>();
  /** Per key: no renewal attempt before this time (after a failed one). */
  readonly #renewRetryAt = new Map<string, number>();
  #configuration: Promise<client.Configuration> | undefined;
  #tokenEndpoint: string | undefined;
  readonly #stats: M2mStats = {
    tokenRequests: 0,
    cacheHits: 0,
    coalesced: 0,
    renewals: 0,
    failures: 0,
    servedAfterFailedRenewal: 0,
    invalidations: 0,
    lastError: null,
  };

  constructor(options: ClientCredentialsOptions) {
    if (options.audience && options.resource) {
      throw new TypeError('ClientCredentialsProvider: set audience (Auth0) or resource (RFC 8707), not both');
    }
    if (!options.clientId || !options.clientSecret) {
      throw new TypeError('ClientCredentialsProvider: clientId and clientSecret are required');
    }
    this.#options = { ...options };
    this.#now = options.now ?? Date.now;
    this.#cache = options.cache ?? new MemoryM2mTokenCache({ now: this.#now });
    this.#logger = options.logger?.child({ component: 'm2m', clientId: options.clientId });
  }

  /** The configuration without the secret. */
  get settings(): M2mPublicSettings {
    const o = this.#options;
    return {
      issuer: o.issuer.href,
      clientId: o.clientId,
      authMethod: o.authMethod,
      audience: o.audience,
      resource: o.resource,
      scope: o.scope,
      organization: o.organization,
      targetStyle: o.audience ? 'auth0' : o.resource ? 'rfc8707' : 'none',
      renewBeforeSeconds: o.renewBeforeSeconds,
    };
  }

  /** The cache key of a request: a hash, so a shared cache never shows client ids or audiences. */
  cacheKey(request: M2mTokenRequest = {}): string {
    return this.#resolve(request).key;
  }

  /**
   * A valid access token for the configured (or given) target: from the cache
   * when fresh, else from one shared token request.
   * @throws M2mTokenError when no valid token can be had.
   */
  async getToken(request: M2mTokenRequest = {}): Promise<M2mToken> {
    const resolved = this.#resolve(request);
    const { key } = resolved;
    this.#remember(resolved);

    const flying = this.#inflight.get(key);
    if (flying) {
      this.#stats.coalesced += 1;
      return flying;
    }

    const cached = await this.#cacheGet(key);
    const now = this.#now();
    if (cached && now < cached.renewAt) {
      this.#stats.cacheHits += 1;
      return cached;
    }
    const valid = cached && now < cached.expiresAt ? cached : undefined;
    const retryAt = this.#renewRetryAt.get(key);
    if (valid && retryAt !== undefined && now < retryAt) {
      // A renewal just failed: keep using the valid token rather than hammering a provider that is down.
      this.#stats.servedAfterFailedRenewal += 1;
      return valid;
    }

    // The cache read awaited: someone may have started the request meanwhile (single flight).
    const started = this.#inflight.get(key);
    if (started) {
      this.#stats.coalesced += 1;
      return started;
    }
    const request$ = this.#requestToken(resolved, valid).finally(() => {
      if (this.#inflight.get(key) === request$) this.#inflight.delete(key);
    });
    this.#inflight.set(key, request$);
    return request$;
  }

  /**
   * Drops `token` from the cache if it is still the cached one (compare and
   * delete, so a token renewed meanwhile is kept). Call it when the API
   * answers 401 `invalid_token` (RFC 6750 §3.1). Returns whether it was found.
   */
  async invalidate(token: string): Promise<boolean> {
    for (const key of this.#known.keys()) {
      const entry = await this.#cacheGet(key);
      if (entry?.accessToken === token) {
        await this.#cache.delete(key);
        this.#renewRetryAt.delete(key);
        this.#stats.invalidations += 1;
        this.#logger?.info({ reason: 'rejected_by_api' }, 'm2m token dropped from the cache');
        return true;
      }
    }
    return false;
  }

  /** A snapshot of the counters. */
  stats(): M2mStats {
    return { ...this.#stats, lastError: this.#stats.lastError ? { ...this.#stats.lastError } : null };
  }

  /** Counters and every cache entry this instance knows, without the tokens. */
  async cacheState(): Promise<M2mCacheState> {
    const now = this.#now();
    const entries: M2mCacheEntryState[] = [];
    for (const key of this.#known.keys()) {
      const entry = await this.#cacheGet(key);
      if (entry) entries.push(describeEntry(entry, now));
    }
    return { now, settings: this.settings, tokenEndpoint: this.#tokenEndpoint, stats: this.stats(), entries };
  }

  #resolve(request: M2mTokenRequest): ResolvedRequest {
    const o = this.#options;
    // A per-call target replaces the configured one entirely (one of audience/resource).
    const targeted = request.audience !== undefined || request.resource !== undefined;
    const audience = (targeted ? request.audience : o.audience) || undefined;
    const resource = (targeted ? request.resource : o.resource) || undefined;
    if (audience && resource) throw new TypeError('getToken: give audience or resource, not both');
    const scope = normaliseScope(request.scope ?? o.scope);
    const organization = (request.organization ?? o.organization) || undefined;
    const key = `m2m:${createHash('sha256')
      .update(
        JSON.stringify([o.issuer.href, o.clientId, audience ?? null, resource ?? null, scope, organization ?? null]),
      )
      .digest('base64url')}`;
    return { key, scope, audience, resource, organization };
  }

  #remember(resolved: ResolvedRequest): void {
    if (this.#known.has(resolved.key)) return;
    if (this.#known.size >= MAX_REMEMBERED_KEYS) {
      const oldest = this.#known.keys().next();
      if (!oldest.done) this.#known.delete(oldest.value);
    }
    this.#known.set(resolved.key, resolved);
  }

  async #cacheGet(key: string): Promise<M2mToken | undefined> {
    try {
      return await this.#cache.get(key);
    } catch (err) {
      // A broken shared cache must not stop the calls: behave as on a miss.
      this.#logger?.warn({ reason: errorSummary(err) }, 'm2m token cache read failed');
      return undefined;
    }
  }

  /** Discovery once, lazily; a failure is not remembered, so the next call tries again. */
  #discover(): Promise<client.Configuration> {
    this.#configuration ??= discoverProvider({
      issuer: this.#options.issuer,
      clientId: this.#options.clientId,
      clientSecret: this.#options.clientSecret,
      authMethod: this.#options.authMethod,
      allowInsecureRequests: this.#options.allowInsecureRequests,
      timeoutSeconds: this.#options.timeoutSeconds ?? 10,
      // Client credentials return no ID token (RFC 6749 §4.4.3): nothing to verify.
      verifyIdTokenSignatures: false,
    }).then(
      (configuration) => {
        this.#tokenEndpoint = configuration.serverMetadata().token_endpoint;
        return configuration;
      },
      (err: unknown) => {
        this.#configuration = undefined;
        throw new DiscoveryFailure(err);
      },
    );
    return this.#configuration;
  }

  async #requestToken(resolved: ResolvedRequest, valid: M2mToken | undefined): Promise<M2mToken> {
    const reason = valid ? 'renewal' : 'cold';
    try {
      const configuration = await this.#discover();
      // RFC 6749 §4.4.2: grant_type=client_credentials (+ scope); RFC 8707 §2: resource;
      // Auth0: audience (and organization). Client authentication per configuration.
      const parameters: Record<string, string> = {};
      if (resolved.scope) parameters['scope'] = resolved.scope;
      if (resolved.audience) parameters['audience'] = resolved.audience;
      if (resolved.resource) parameters['resource'] = resolved.resource;
      if (resolved.organization) parameters['organization'] = resolved.organization;

      const issuedAt = this.#now();
      const startedMs = performance.now();
      this.#stats.tokenRequests += 1;
      if (valid) this.#stats.renewals += 1;
      const response = await client.clientCredentialsGrant(configuration, parameters);
      const token = this.#toToken(response, resolved, issuedAt);

      const ttlSeconds = Math.ceil((token.expiresAt - this.#now()) / 1000);
      if (ttlSeconds > 0) {
        try {
          await this.#cache.set(resolved.key, token, ttlSeconds);
        } catch (err) {
          this.#logger?.warn({ reason: errorSummary(err) }, 'm2m token cache write failed; the token is used uncached');
        }
      }
      this.#renewRetryAt.delete(resolved.key);
      this.#logger?.info(
        {
          reason,
          audience: resolved.audience,
          resource: resolved.resource,
          scope: token.grantedScope ?? resolved.scope,
          expiresInSeconds: Math.round((token.expiresAt - token.issuedAt) / 1000),
          durationMs: Math.round(performance.now() - startedMs),
        },
        'm2m token obtained',
      );
      this.#warnOnNarrowedScope(resolved.scope, token.grantedScope);
      return token;
    } catch (err) {
      this.#stats.failures += 1;
      const error = err instanceof M2mTokenError ? err : this.#toError(err);
      this.#stats.lastError = { code: error.code, at: this.#now() };
      if (valid && this.#now() < valid.expiresAt) {
        this.#renewRetryAt.set(
          resolved.key,
          this.#now() + (this.#options.renewRetrySeconds ?? DEFAULT_RENEW_RETRY_SECONDS) * 1000,
        );
        this.#stats.servedAfterFailedRenewal += 1;
        this.#logger?.warn(
          { code: error.code, expiresInSeconds: Math.round((valid.expiresAt - this.#now()) / 1000) },
          'm2m token renewal failed; the cached token is still valid and stays in use',
        );
        return valid;
      }
      this.#logger?.warn({ code: error.code, reason: error.message }, 'm2m token request failed');
      throw error;
    }
  }

  #toToken(response: client.TokenEndpointResponse, resolved: ResolvedRequest, issuedAt: number): M2mToken {
    const lifetimeSeconds = lifetimeOf(response);
    const expiresAt = issuedAt + lifetimeSeconds * 1000;
    return {
      accessToken: response.access_token,
      tokenType: response.token_type,
      grantedScope: typeof response.scope === 'string' ? normaliseScope(response.scope) : undefined,
      requestedScope: resolved.scope,
      audience: resolved.audience,
      resource: resolved.resource,
      organization: resolved.organization,
      issuedAt,
      expiresAt,
      renewAt: expiresAt - this.#marginSeconds(lifetimeSeconds) * 1000,
    };
  }

  /** Renewal margin: the configured one (at most half the lifetime), else min(60 s, lifetime / 4). */
  #marginSeconds(lifetimeSeconds: number): number {
    const configured = this.#options.renewBeforeSeconds;
    if (configured !== undefined) return Math.min(Math.max(0, configured), lifetimeSeconds / 2);
    return Math.min(DEFAULT_MARGIN_SECONDS, lifetimeSeconds / 4);
  }

  #warnOnNarrowedScope(requested: string, granted: string | undefined): void {
    // RFC 6749 §3.3: the server may grant less than asked and then MUST say so in `scope`.
    if (granted === undefined || !requested) return;
    const grantedSet = new Set(granted.split(' '));
    const missing = requested.split(' ').filter((s) => !grantedSet.has(s));
    if (missing.length) this.#logger?.warn({ missing }, 'the provider granted fewer scopes than requested');
  }

  #toError(err: unknown): M2mTokenError {
    const o = this.#options;
    const scrub = secretScrubber(o.clientId, o.clientSecret);
    const discovery = err instanceof DiscoveryFailure;
    const original = discovery ? err.original : err;
    // The cause is rebuilt as a one-line description: the library's error objects
    // hold responses and request details we do not want to carry around.
    const cause = new Error(scrub(errorSummary(original)));
    const base = { issuer: o.issuer.href };

    const httpStatus = responseStatusOf(original);
    if (isNetworkError(original) || (httpStatus !== undefined && httpStatus >= 500)) {
      return new M2mTokenError(
        503,
        'm2m_provider_unavailable',
        `The identity provider at ${o.issuer.origin} could not be reached for a machine-to-machine token. Try again shortly.`,
        { cause, details: base },
      );
    }
    if (discovery) {
      return new M2mTokenError(
        502,
        'm2m_failed',
        `Discovery of ${o.issuer.href} failed (${scrub(errorSummary(original))}). Check M2M_ISSUER.`,
        {
          cause,
          details: base,
        },
      );
    }

    let oauthError: string | undefined;
    let description: string | undefined;
    let status = 0;
    if (original instanceof client.ResponseBodyError) {
      oauthError = original.error;
      description = original.error_description;
      status = original.status;
    } else if (original instanceof client.WWWAuthenticateChallengeError) {
      // RFC 6749 §5.2: a 401 invalid_client comes with WWW-Authenticate when Basic was used.
      status = original.status;
      const challenge = original.cause.find((c) => c.parameters.error) ?? original.cause[0];
      oauthError = challenge?.parameters.error ?? (status === 401 ? 'invalid_client' : undefined);
      description = challenge?.parameters.error_description;
      void original.response.body?.cancel().catch(() => undefined);
    }
    const details: Record<string, string> = { ...base };
    if (oauthError) details['error'] = scrub(oauthError).slice(0, 100);
    if (description) details['description'] = scrub(description).slice(0, 300);
    const said = oauthError ? ` (${details['error']}${description ? `: ${details['description']}` : ''})` : '';
    const options = { oauthError, cause, details };

    switch (oauthError) {
      case 'invalid_client':
        return new M2mTokenError(
          502,
          'm2m_invalid_client',
          `The identity provider did not accept the M2M client credentials${said}. Check M2M_CLIENT_ID, M2M_CLIENT_SECRET and M2M_AUTH_METHOD (this app sends ${o.authMethod}).`,
          options,
        );
      case 'unauthorized_client':
      case 'access_denied': // Auth0: the application is not authorized for this API
        return new M2mTokenError(
          502,
          'm2m_unauthorized_client',
          `The M2M client may not get this token${said}. Allow the client credentials grant for the client and authorize it for the API (Auth0: APIs → Machine to Machine Applications; Logto: assign an M2M role).`,
          options,
        );
      case 'invalid_scope':
        return new M2mTokenError(
          502,
          'm2m_invalid_scope',
          `The identity provider refused the requested scope${said}. Check M2M_SCOPE against the permissions granted to the client.`,
          options,
        );
      case 'invalid_target':
        return new M2mTokenError(
          502,
          'm2m_invalid_target',
          `The identity provider does not know the requested API${said}. Check M2M_AUDIENCE (Auth0) or M2M_RESOURCE (RFC 8707).`,
          options,
        );
      case 'server_error':
      case 'temporarily_unavailable':
        return new M2mTokenError(
          503,
          'm2m_provider_unavailable',
          `The identity provider failed to issue a machine-to-machine token${said}. Try again shortly.`,
          options,
        );
      default:
        if (status === 429) {
          // Auth0 and others rate-limit the token endpoint: exactly what the cache is for.
          return new M2mTokenError(
            503,
            'm2m_provider_unavailable',
            `The identity provider is rate-limiting token requests${said}. Try again shortly.`,
            options,
          );
        }
        return new M2mTokenError(
          502,
          'm2m_failed',
          `The machine-to-machine token request failed${said || ` (${cause.message})`}.`,
          options,
        );
    }
  }
}

/** The HTTP status of the provider's response behind an openid-client error, if there was one. */
function responseStatusOf(err: unknown): number | undefined {
  for (let current = err, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    // oauth4webapi: an unexpected status (5xx) is an error whose cause is the Response itself.
    if (current.cause instanceof Response) {
      void current.cause.body?.cancel().catch(() => undefined);
      return current.cause.status;
    }
    const status = (current as { status?: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** Marks a failure of discovery (vs. of the token request) for the error mapping. */
class DiscoveryFailure extends Error {
  constructor(readonly original: unknown) {
    super('discovery failed');
  }
}

/** RFC 6749 §3.3: space-delimited, order does not matter; duplicates mean nothing. */
function normaliseScope(scope: string | undefined): string {
  if (!scope) return '';
  return [...new Set(scope.split(/\s+/).filter(Boolean))].sort().join(' ');
}

/** `expires_in` (RFC 6749 §5.1), else the JWT's own `exp`, else a short default. */
function lifetimeOf(response: client.TokenEndpointResponse): number {
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)) {
    return Math.max(0, response.expires_in);
  }
  try {
    const { exp, iat } = decodeJwt(response.access_token);
    if (typeof exp === 'number')
      return Math.max(0, exp - (typeof iat === 'number' ? iat : Math.floor(Date.now() / 1000)));
  } catch {
    // Opaque token: nothing to read.
  }
  return DEFAULT_LIFETIME_SECONDS;
}

function describeEntry(entry: M2mToken, now: number): M2mCacheEntryState {
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

/** Replaces the secret, in every encoding it travels in, with `[redacted]`. */
function secretScrubber(clientId: string, secret: string): (text: string) => string {
  const forms = new Set<string>();
  if (secret.length > 0) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
    // RFC 6749 §2.3.1 Basic: base64(urlencode(id) ":" urlencode(secret)), and the naive form.
    forms.add(Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64'));
    forms.add(Buffer.from(`${clientId}:${secret}`).toString('base64'));
  }
  return (text) => {
    let out = text;
    for (const form of forms) out = out.split(form).join('[redacted]');
    return out;
  };
}

/**
 * The app's own access tokens: the OAuth 2.0 client credentials grant
 * (RFC 6749 §4.4), cached, for server-to-server calls. Two provider styles:
 *
 * - Auth0: `audience` and `client_secret_post` (client id and secret in the
 *   form body, RFC 6749 §2.3.1).
 * - Logto: `resource` (RFC 8707 §2) and `scope`, with HTTP Basic client
 *   authentication (`client_secret_basic`, RFC 6749 §2.3.1).
 * - Optional `organization` (Auth0 Organizations), sent as is.
 * - Or, with either style, `private_key_jwt`: an assertion signed with the
 *   app's private key instead of any secret (RFC 7523 §2.2).
 *
 * DPoP (M2M_DPOP, RFC 9449): the token request carries a proof of a key of this
 * instance, so the provider binds the token to it (`cnf.jkt`, `token_type:
 * DPoP`), and every call with the token must carry a fresh proof of the same key
 * (`getBoundToken` hands it to the senders). One key per instance, made on first
 * use and held only in memory, never cached or stored: a token copied out of a
 * shared cache, a log or a proxy is useless anywhere else (§1, §11.1). A key per
 * token would have to sit next to the token in the shared cache, where a thief
 * of one finds both. The price: the key's thumbprint is part of the cache key,
 * so each instance gets its own token per target instead of sharing one.
 *
 * Caching (never a token per call: "store and reuse tokens",
 * https://auth0.com/docs/secure/tokens/token-best-practices):
 * - One entry per target (token.ts). An entry is fresh until the refresh
 *   margin for client tokens (src/tokens/refresh-margin.ts). The first caller
 *   inside the margin renews it; everyone else waits for that one request
 *   (single flight per key), as do concurrent callers on a cold cache.
 * - The entry is kept until the token really expires: if a renewal fails
 *   (provider down), the still-valid token keeps being served and renewal is
 *   retried at most every few seconds, so an outage of the provider is not an
 *   outage of the API calls until the token itself runs out.
 * - A token the API rejects (`401 invalid_token`) is dropped with
 *   `invalidate(token)`; the next `getToken` fetches a new one.
 *
 * The token is never logged, never put into an error, and is not part of
 * `cacheState()`; the client secret is scrubbed from errors (errors.ts).
 */
import { LRUCache } from 'lru-cache';
import * as client from 'openid-client';
import type { ClientAuthMethod } from '../config/config.js';
import type { ClientCredentials } from '../oidc/client.js';
import type { Logger } from '../logger.js';
import { DPoPKeys, type DPoPKey, type DPoPKeyRecord } from '../dpop/dpop-key.js';
import { errorSummary } from '../errors.js';
import { discoverProvider } from '../oidc/client.js';
import { metrics } from '../observability/metrics.js';
import { MemoryM2mTokenCache, type M2mTokenCache } from './cache.js';
import {
  describeEntry,
  noStats,
  publicSettings,
  type M2mCacheEntryState,
  type M2mCacheState,
  type M2mPublicSettings,
  type M2mStats,
} from './description.js';
import { DiscoveryFailure, M2mTokenError, toM2mTokenError } from './errors.js';
import {
  resolveTarget,
  tokenFromResponse,
  type ConfiguredTarget,
  type M2mToken,
  type M2mTokenRequest,
  type TokenTarget,
} from './token.js';

/** Options of {@link ClientCredentialsTokens}. */
export interface ClientCredentialsOptions extends ConfiguredTarget {
  /**
   * `client_secret_post` (Auth0's default), `client_secret_basic` (Logto, RFC 6749 §2.3.1
   * MUST-support), or `private_key_jwt` (RFC 7523 §2.2: `privateKey` signs, no secret is sent).
   */
  authMethod: ClientAuthMethod;
  /** For the two secret methods. */
  clientSecret?: string | undefined;
  /** For `private_key_jwt`. */
  privateKey?: ClientCredentials['privateKey'];
  /** Plain-HTTP provider: only for a loopback issuer (demo, tests). */
  allowInsecureRequests: boolean;
  /** Seconds to wait for discovery and for each token response. Default 10. */
  timeoutSeconds?: number;
  /** After a failed renewal, wait this long before trying again (the cached token is served meanwhile). Default 5. */
  renewRetrySeconds?: number;
  /** Clock in epoch ms (tests move it). Default `Date.now`. */
  now?: () => number;
  /** Token cache. Default: an in-memory cache private to this instance. */
  cache?: M2mTokenCache;
  /** The app's pino logger; token requests, renewals and failures are logged (never the token). */
  logger?: Logger;
  /** Bind the tokens to a DPoP key of this instance (RFC 9449). Default false. */
  dpop?: boolean;
  /** Where that key is made and kept imported (default: a cache of its own); the proxy shares the app's. */
  dpopKeys?: DPoPKeys;
}

/** A token and, when it is DPoP-bound, the key every call with it must prove (RFC 9449 §7). */
export type BoundM2mToken = M2mToken & { readonly dpopKey?: DPoPKeyRecord };

const DEFAULT_RENEW_RETRY_SECONDS = 5;
/** Targets remembered for `cacheState` and `invalidate` (the cache interface has no listing). */
const MAX_REMEMBERED_TARGETS = 100;

/**
 * Gets and caches client-credentials access tokens for one M2M client.
 * One instance per client; share it between routes, jobs and the CLI.
 *
 * @example
 * const m2m = new ClientCredentialsTokens({ ...config.m2m, timeoutSeconds: 10, logger });
 * const { accessToken } = await m2m.getToken();
 */
export class ClientCredentialsTokens {
  readonly #options: ClientCredentialsOptions;
  readonly #now: () => number;
  readonly #cache: M2mTokenCache;
  readonly #logger: Logger | undefined;
  readonly #inflight = new Map<string, Promise<M2mToken>>();
  readonly #known = new LRUCache<string, TokenTarget>({ max: MAX_REMEMBERED_TARGETS });
  /** Per key: no renewal attempt before this time (after a failed one). */
  readonly #renewRetryAt = new Map<string, number>();
  #configuration: Promise<client.Configuration> | undefined;
  #tokenEndpoint: string | undefined;
  readonly #stats: M2mStats = noStats();
  /** The DPoP key's holder; its key is made on first use (with M2M_DPOP). */
  readonly #dpopKeys: DPoPKeys;
  #dpopKey: Promise<DPoPKey> | undefined;

  constructor(options: ClientCredentialsOptions) {
    if (options.audience && options.resource) {
      throw new TypeError('ClientCredentialsTokens: set audience (Auth0) or resource (RFC 8707), not both');
    }
    if (!options.clientId) throw new TypeError('ClientCredentialsTokens: clientId is required');
    if (options.authMethod === 'private_key_jwt' ? !options.privateKey : !options.clientSecret) {
      throw new TypeError(
        `ClientCredentialsTokens: ${options.authMethod} needs ${options.authMethod === 'private_key_jwt' ? 'privateKey' : 'clientSecret'}`,
      );
    }
    this.#options = { ...options };
    this.#now = options.now ?? Date.now;
    this.#cache = options.cache ?? new MemoryM2mTokenCache({ now: this.#now });
    this.#logger = options.logger?.child({ component: 'm2m', clientId: options.clientId });
    this.#dpopKeys = options.dpopKeys ?? new DPoPKeys();
  }

  /** Where this instance's DPoP key is kept imported: a sender's proofs load it from here. */
  get dpopKeys(): DPoPKeys {
    return this.#dpopKeys;
  }

  /** The configuration without the secret. */
  get settings(): M2mPublicSettings {
    return publicSettings(this.#options);
  }

  /** The cache key of a request: a hash, so a shared cache never shows client ids or audiences. */
  async cacheKey(request: M2mTokenRequest = {}): Promise<string> {
    return resolveTarget(this.#options, request, (await this.#proofKey())?.jkt).key;
  }

  /**
   * {@link getToken}, and for a DPoP-bound token this instance's key to prove each call with:
   * what the senders (the API client, the proxy) need.
   */
  async getBoundToken(request: M2mTokenRequest = {}): Promise<BoundM2mToken> {
    const token = await this.getToken(request);
    const key = token.dpopJkt ? await this.#proofKey() : undefined;
    return key && key.jkt === token.dpopJkt ? { ...token, dpopKey: key.record } : token;
  }

  /** This instance's DPoP key with M2M_DPOP (made once, on first use), else undefined. */
  #proofKey(): Promise<DPoPKey> | undefined {
    if (!this.#options.dpop) return undefined;
    this.#dpopKey ??= this.#dpopKeys.create().catch((err: unknown) => {
      this.#dpopKey = undefined;
      throw err;
    });
    return this.#dpopKey;
  }

  /**
   * A valid access token for the configured (or given) target: from the cache
   * when fresh, else from one shared token request.
   * @throws M2mTokenError when no valid token can be had.
   */
  async getToken(request: M2mTokenRequest = {}): Promise<M2mToken> {
    const dpopKey = await this.#proofKey();
    const target = resolveTarget(this.#options, request, dpopKey?.jkt);
    const { key } = target;
    if (!this.#known.has(key)) this.#known.set(key, target);

    const flying = this.#inflight.get(key);
    if (flying) {
      this.#stats.coalesced += 1;
      return flying;
    }

    const cached = await this.#cacheGet(key);
    const now = this.#now();
    if (cached && now < cached.renewAt) {
      this.#stats.cacheHits += 1;
      metrics.m2mCache.inc({ result: 'hit' });
      return cached;
    }
    metrics.m2mCache.inc({ result: 'miss' });
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
    const request$ = this.#requestToken(target, valid, dpopKey).finally(() => {
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
    // Oldest first, as the targets were first asked for.
    for (const key of this.#known.rkeys()) {
      const entry = await this.#cacheGet(key);
      if (entry) entries.push(describeEntry(entry, now));
    }
    const dpopJkt = this.#dpopKey ? (await this.#dpopKey.catch(() => undefined))?.jkt : undefined;
    return {
      now,
      settings: this.settings,
      tokenEndpoint: this.#tokenEndpoint,
      stats: this.stats(),
      entries,
      ...(dpopJkt && { dpopJkt }),
    };
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
      privateKey: this.#options.privateKey,
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

  async #requestToken(target: TokenTarget, valid: M2mToken | undefined, dpopKey?: DPoPKey): Promise<M2mToken> {
    try {
      const configuration = await this.#discover();
      // RFC 6749 §4.4.2: grant_type=client_credentials (+ scope); RFC 8707 §2: resource;
      // Auth0: audience (and organization). Client authentication per configuration.
      const parameters: Record<string, string> = {};
      if (target.scope) parameters['scope'] = target.scope;
      if (target.audience) parameters['audience'] = target.audience;
      if (target.resource) parameters['resource'] = target.resource;
      if (target.organization) parameters['organization'] = target.organization;

      const issuedAt = this.#now();
      const startedMs = performance.now();
      this.#stats.tokenRequests += 1;
      metrics.m2mTokenRequests.inc();
      if (valid) this.#stats.renewals += 1;
      // RFC 9449 §5: the proof asks the provider to bind the token; openid-client's handle answers
      // a provider's `use_dpop_nonce` with one retry and keeps its nonce for the next request (§8).
      const response = await client.clientCredentialsGrant(
        configuration,
        parameters,
        dpopKey && { DPoP: dpopKey.grantHandle(configuration) },
      );
      const token = tokenFromResponse(response, target, issuedAt, dpopKey?.jkt);
      await this.#cacheSet(target.key, token);
      this.#renewRetryAt.delete(target.key);
      this.#logger?.info(
        {
          reason: valid ? 'renewal' : 'cold',
          audience: target.audience,
          resource: target.resource,
          scope: token.grantedScope ?? target.scope,
          tokenType: token.tokenType,
          expiresInSeconds: Math.round((token.expiresAt - token.issuedAt) / 1000),
          durationMs: Math.round(performance.now() - startedMs),
        },
        'm2m token obtained',
      );
      this.#warnOnNarrowedScope(target.scope, token.grantedScope);
      if (dpopKey && !token.dpopJkt) {
        // The token type decides how it is sent: a bearer token sent with the DPoP scheme is refused (§7.1).
        this.#logger?.warn('the provider ignored the DPoP proof and issued a bearer token; it is sent as one');
      }
      return token;
    } catch (err) {
      return this.#failed(err, target, valid);
    }
  }

  async #cacheSet(key: string, token: M2mToken): Promise<void> {
    const ttlSeconds = Math.ceil((token.expiresAt - this.#now()) / 1000);
    if (ttlSeconds <= 0) return;
    try {
      await this.#cache.set(key, token, ttlSeconds);
    } catch (err) {
      this.#logger?.warn({ reason: errorSummary(err) }, 'm2m token cache write failed; the token is used uncached');
    }
  }

  /** A failed token request: the still-valid token if there is one, else the typed error. */
  #failed(err: unknown, target: TokenTarget, valid: M2mToken | undefined): M2mToken {
    this.#stats.failures += 1;
    const error = err instanceof M2mTokenError ? err : toM2mTokenError(err, this.#options);
    const now = this.#now();
    this.#stats.lastError = { code: error.code, at: now };
    if (valid && now < valid.expiresAt) {
      const retrySeconds = this.#options.renewRetrySeconds ?? DEFAULT_RENEW_RETRY_SECONDS;
      this.#renewRetryAt.set(target.key, now + retrySeconds * 1000);
      this.#stats.servedAfterFailedRenewal += 1;
      this.#logger?.warn(
        { code: error.code, expiresInSeconds: Math.round((valid.expiresAt - now) / 1000) },
        'm2m token renewal failed; the cached token is still valid and stays in use',
      );
      return valid;
    }
    this.#logger?.warn({ code: error.code, reason: error.message }, 'm2m token request failed');
    throw error;
  }

  #warnOnNarrowedScope(requested: string, granted: string | undefined): void {
    // RFC 6749 §3.3: the server may grant less than asked and then MUST say so in `scope`.
    if (granted === undefined || !requested) return;
    const grantedSet = new Set(granted.split(' '));
    const missing = requested.split(' ').filter((s) => !grantedSet.has(s));
    if (missing.length) this.#logger?.warn({ missing }, 'the provider granted fewer scopes than requested');
  }
}

/**
 * Hands out a usable access token for a session, refreshing only when needed:
 * the default API's (`getTokens`) and each named API's (`getApiToken`, whose
 * tokens come from refresh-token grants naming the API: api-tokens.ts), by
 * one rule (`#usable`).
 *
 * Rules enforced here:
 * - Refresh only when the token is about to expire (oidc/tokens.ts), or when
 *   forced: the API rejected a token we believed valid, or a developer asked.
 * - Forced refreshes are capped: "refresh now" at most once per 10 s per
 *   session (then 429); a token that came from a refresh forced by the API's
 *   `invalid_token` is not force-refreshed again when the API refuses it too
 *   (an API that refuses every token would otherwise cost one grant per call).
 * - One refresh at a time per session and API: concurrent callers share the
 *   same promise (single-flight). Grants of one session take turns under the
 *   RefreshLock (refresh-lock.ts: they all spend the one refresh token), in
 *   this process and across instances. After taking the lock, re-read the
 *   store: someone else may have refreshed, or rotated the refresh token.
 * - An early refresh (the token is still valid) never fails a call: while it
 *   runs, other calls use the valid token; if it fails, the call uses the
 *   valid token and the refresh is retried after a backoff. Only an expired
 *   token turns a provider outage into a 503, and during the backoff the next
 *   callers get that 503 at once instead of each waiting for the provider.
 * - The rotated refresh token is saved before anyone gets the new access token,
 *   and only over the version that was refreshed (token-store.ts): a refresh
 *   that finishes after logout, expiry or re-login saves nothing, and the
 *   refresh token it got, which nobody could reach, is revoked (RFC 7009).
 * - A refreshed ID token must continue the login (oidc/refreshed-id-token.ts).
 * - `invalid_grant` (RFC 6749 §5.2: revoked or expired refresh token) ends the
 *   login: tokens are deleted and callers get `login_required`.
 * - The token record expires with the session's idle timeout; activity
 *   extends it (`keepAlive`), so an idle session leaves no refresh token behind.
 * - A login with a DPoP key proves it on every refresh (RFC 9449 §5), so the
 *   new tokens stay bound to the same key (dpop/dpop-key.ts).
 *
 * Why this file is long: the steps of a refresh (single-flight, lock, re-read,
 * grant, fenced write, failure and backoff) share the service's private state;
 * the failure rules (refresh-failure.ts), the events (refresh-events.ts) and
 * the per-API record (api-tokens.ts) already live beside it.
 */
import * as client from 'openid-client';
import { LRUCache } from 'lru-cache';
import { AppError, errorSummary, LoginRequiredError, ProviderUnavailableError } from '../errors.js';
import type { FlowLog } from '../flow/flow-log.js';
import type { Logger } from '../logger.js';
import type { ProviderConnection } from '../oidc/client.js';
import { revokeRefreshToken } from '../oidc/logout.js';
import { refreshedIdTokenMismatch } from '../oidc/refreshed-id-token.js';
import { classifyRefreshFailure, IdTokenMismatchError, isRefusedGrant } from './refresh-failure.js';
import { recordApiRefusal, recordRefresh, recordRefreshFailure } from './refresh-events.js';
import { tokenSetFromResponse, type TokenSet, type TokenSource } from '../oidc/tokens.js';
import { needsRefresh } from './refresh-margin.js';
import { backoffDelay } from '../retry.js';
import { keepAliveIntervalMs } from '../session/session-cookie.js';
import { metrics } from '../observability/metrics.js';
import type { RefreshLock } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';
import type { LoginIndex } from './login-index.js';
import {
  ApiNotAuthorizedError,
  apiTokenOf,
  isApiRefusal,
  withApiRefusal,
  withApiToken,
  type ApiGrantTarget,
} from './api-tokens.js';
import type { ApiAccessToken } from '../oidc/tokens.js';
import { DPoPKeys } from '../dpop/dpop-key.js';

export type RefreshReason = Exclude<TokenSource, 'login'>;

/** "Refresh now" at most this often per session. */
const MANUAL_REFRESH_INTERVAL_MS = 10_000;
/** Retry delays of a refresh that failed while the token was still valid. */
const RETRY_BACKOFF = { firstMs: 1_000, maxMs: 30_000 };

export class RefreshTooFrequentError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, 'refresh_too_frequent', 'errors:message.refresh_too_frequent', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
    this.name = 'RefreshTooFrequentError';
  }
}

export interface TokenServiceDeps {
  readonly store: TokenStore;
  readonly provider: ProviderConnection;
  readonly lock: RefreshLock;
  readonly flowLog: FlowLog;
  /** Logins by the provider's `sid` and `sub` (back-channel logout); an ended login leaves it. */
  readonly logins?: LoginIndex;
  readonly logger: Logger;
  /** The session idle timeout: token records live this long (plus the keep-alive interval) after the last activity. */
  readonly idleSeconds: number;
  /** Sent with every refresh grant (oidc/token-request.ts), e.g. the RFC 8707 `resource`. */
  readonly refreshParameters?: Readonly<Record<string, string>>;
  /** The logins' DPoP keys, imported once per instance (default: a cache of its own). */
  readonly dpopKeys?: DPoPKeys;
  readonly now?: () => number;
}

export interface AccessTokenRequest {
  /** Refresh even if the token looks valid: the API said it is not, or a developer asked. */
  readonly force?: Exclude<RefreshReason, 'expiring'>;
  /** With `force: 'rejected_by_api'`: the token that was rejected, so a refresh already done by someone else counts. */
  readonly rejectedAccessToken?: string;
  /** The record the caller has just read (`null`: there is none), saving a second read; refreshes re-read it anyway. */
  readonly stored?: TokenSet | null;
}

export class TokenService {
  readonly #deps: TokenServiceDeps;
  readonly #now: () => number;
  readonly #recordTtlSeconds: number;
  readonly #inFlight = new Map<string, Promise<TokenSet>>();
  /** Sessions whose last refresh failed without ending the login: when to try again. */
  readonly #retries = new LRUCache<string, { failures: number; retryAt: number }>({ max: 10_000 });
  /** Sessions whose record this instance touched within the keep-alive interval. */
  readonly #recentlyTouched: LRUCache<string, true>;
  /** Refresh grants sent by this instance (for the benchmark and tests). */
  refreshCount = 0;
  /** The logins' DPoP keys: made at login, used by refreshes and by the proxy's proofs. */
  readonly dpopKeys: DPoPKeys;

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
    this.dpopKeys = deps.dpopKeys ?? new DPoPKeys();
    this.#now = deps.now ?? Date.now;
    const interval = keepAliveIntervalMs(deps.idleSeconds);
    this.#recordTtlSeconds = deps.idleSeconds + interval / 1000;
    this.#recentlyTouched = new LRUCache<string, true>({ max: 100_000, ttl: interval });
  }

  /** Stores the token set of a fresh login. */
  async saveLogin(sessionId: string, tokens: TokenSet): Promise<void> {
    await this.#deps.store.create(sessionId, tokens, this.#recordTtlSeconds);
  }

  async peek(sessionId: string): Promise<TokenSet | undefined> {
    return this.#deps.store.get(sessionId);
  }

  /**
   * Rolls the token record's expiry with the session's activity, at most once
   * per keep-alive interval, and records the activity as the login's "last
   * seen" (login-index.ts) under the same limit: one small write per
   * interval, however many requests the session makes. Best-effort, like the
   * session's own touch: a failed touch only means the record expires at its
   * previous time.
   */
  keepAlive(sessionId: string): Promise<void> {
    if (this.#recentlyTouched.has(sessionId)) return Promise.resolve();
    this.#recentlyTouched.set(sessionId, true);
    return Promise.allSettled([
      this.#deps.store.touch(sessionId, this.#recordTtlSeconds),
      this.#deps.logins?.seen(sessionId, this.#now()),
    ]).then(() => undefined);
  }

  /** Whether a login last active at `lastSeenAt` has been idle longer than its token record lives. */
  idledOut(lastSeenAt: number): boolean {
    return this.#now() - lastSeenAt > this.#recordTtlSeconds * 1000;
  }

  /**
   * Ends a login's server-side state: its token record and its flow log, and
   * revokes its refresh token (RFC 7009, best-effort: a slow or absent
   * provider never blocks the ending). The one place a login ends: logout,
   * absolute timeout, re-login in the same browser, a refused refresh. Returns
   * the tokens it held (logout needs the ID token for the provider's logout).
   */
  async endLogin(sessionId: string, options: { revoke?: boolean } = {}): Promise<TokenSet | undefined> {
    return (await this.endLoginReporting(sessionId, options)).tokens;
  }

  /** `endLogin`, also telling whether a refresh token was revoked at the provider (for the flow inspector). */
  async endLoginReporting(
    sessionId: string,
    options: { revoke?: boolean } = {},
  ): Promise<{ tokens: TokenSet | undefined; refreshTokenRevoked: boolean }> {
    const tokens = await this.#deps.store.delete(sessionId);
    this.#retries.delete(sessionId);
    await Promise.all([this.#deps.flowLog.delete(sessionId), this.#deps.logins?.remove(sessionId)]);
    const refreshTokenRevoked =
      tokens?.refreshToken !== undefined && options.revoke !== false && (await this.#revoke(tokens.refreshToken));
    return { tokens, refreshTokenRevoked };
  }

  /** Returns tokens whose access token (the default API's) is usable now, refreshing if needed. */
  async getTokens(sessionId: string, request: AccessTokenRequest = {}): Promise<TokenSet> {
    const tokens = request.stored !== undefined ? request.stored : await this.#deps.store.get(sessionId);
    if (!tokens) throw new LoginRequiredError();
    if (request.force === 'manual') {
      const waitMs = tokens.source === 'manual' ? tokens.receivedAt + MANUAL_REFRESH_INTERVAL_MS - this.#now() : 0;
      if (waitMs > 0) throw new RefreshTooFrequentError(Math.ceil(waitMs / 1000));
      return this.#refreshOnce(sessionId, tokens, 'manual');
    }
    return this.#usable(sessionId, tokens, tokens, request, undefined, (next) => next);
  }

  /**
   * A usable access token for the named API `api`, by the same rules as the default API's: a
   * grant for it on first use, when it is about to expire, or when the API refused it
   * (api-tokens.ts). An API the provider refused for this login is a 403.
   */
  async getApiToken(
    sessionId: string,
    api: ApiGrantTarget,
    request: AccessTokenRequest = {},
  ): Promise<ApiAccessToken & Pick<TokenSet, 'dpopKey'>> {
    const tokens = request.stored !== undefined ? request.stored : await this.#deps.store.get(sessionId);
    if (!tokens) throw new LoginRequiredError();
    const refused = tokens.apiRefusals?.[api.name];
    if (refused) throw new ApiNotAuthorizedError(api.name, refused);
    const pick = (next: TokenSet): ApiAccessToken & Pick<TokenSet, 'dpopKey'> => {
      const token = apiTokenOf(next, api.name);
      if (!token) throw new LoginRequiredError('errors:message.session_ended');
      // Its grant was proved with the login's DPoP key (RFC 9449 §5): the proxy proves its calls with it too.
      return next.dpopKey ? { ...token, dpopKey: next.dpopKey } : token;
    };
    const held = apiTokenOf(tokens, api.name);
    if (!held) return pick(await this.#refreshOnce(sessionId, tokens, 'first_use', undefined, api));
    return this.#usable(sessionId, tokens, held, request, api, pick);
  }

  /**
   * The one refresh rule, for the default API's token (`api` undefined) and each named API's:
   * `held` as it is, or refreshed first; `pick` finds the token in the refreshed record.
   */
  async #usable<T extends ApiAccessToken>(
    sessionId: string,
    tokens: TokenSet,
    held: T,
    request: AccessTokenRequest,
    api: ApiGrantTarget | undefined,
    pick: (next: TokenSet) => T,
  ): Promise<T> {
    const refresh = async (reason: RefreshReason, lockOptions?: { wait: boolean }): Promise<T> =>
      pick(await this.#refreshOnce(sessionId, tokens, reason, lockOptions, api));
    if (request.force === 'rejected_by_api') {
      if (request.rejectedAccessToken !== held.accessToken) return held; // Already replaced since that call started.
      if (held.source === 'rejected_by_api') return held; // The API refuses fresh tokens too: do not loop.
      return refresh('rejected_by_api');
    }
    const now = this.#now();
    if (!needsRefresh(held, now)) return held;
    const flight = flightKey(sessionId, api);
    const retry = this.#retries.get(flight);
    if (now < held.expiresAt) {
      // Early: the token still works, so nobody waits for a refresh that is running or backing off.
      if (this.#inFlight.has(flight) || (retry && now < retry.retryAt)) return held;
      try {
        return await refresh('expiring', { wait: false });
      } catch (err) {
        if (err instanceof LoginRequiredError || err instanceof ApiNotAuthorizedError) throw err;
        return held;
      }
    }
    if (retry && now < retry.retryAt && !this.#inFlight.has(flight)) {
      throw new ProviderUnavailableError(undefined, Math.ceil((retry.retryAt - now) / 1000));
    }
    return refresh('expiring');
  }

  /**
   * One grant at a time per (session, API) in this process: concurrent callers share it. The
   * lock is per session, not per API: every grant spends the session's one refresh token, and
   * with rotation two grants sending the same one at once would be a reuse (RFC 9700 §4.14.2).
   */
  #refreshOnce(
    sessionId: string,
    seen: TokenSet,
    reason: RefreshReason,
    lockOptions?: { wait: boolean },
    api?: ApiGrantTarget,
  ): Promise<TokenSet> {
    const flight = flightKey(sessionId, api);
    const running = this.#inFlight.get(flight);
    if (running) metrics.refreshWaits.inc({ on: 'single_flight' });
    if (running) return running;
    const seenAccessToken = api ? apiTokenOf(seen, api.name)?.accessToken : seen.accessToken;
    const refresh = this.#deps.lock
      .withLock(sessionId, () => this.#refresh(sessionId, seenAccessToken, reason, api), lockOptions)
      .finally(() => this.#inFlight.delete(flight));
    this.#inFlight.set(flight, refresh);
    return refresh;
  }

  async #refresh(
    sessionId: string,
    seenAccessToken: string | undefined,
    reason: RefreshReason,
    api: ApiGrantTarget | undefined,
  ): Promise<TokenSet> {
    const { store, provider } = this.#deps;
    const current = await store.get(sessionId);
    if (!current) throw new LoginRequiredError();
    const refused = api && current.apiRefusals?.[api.name];
    if (api && refused) throw new ApiNotAuthorizedError(api.name, refused);
    // Another instance (or an earlier holder of the lock) replaced the token meanwhile: use its result.
    const latest = api ? apiTokenOf(current, api.name) : current;
    if (latest && latest.accessToken !== seenAccessToken && !needsRefresh(latest, this.#now())) return current;
    if (!current.refreshToken) {
      await this.endLogin(sessionId);
      throw new LoginRequiredError('errors:message.session_expired');
    }

    const started = this.#now();
    let response: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    try {
      this.refreshCount += 1;
      const configuration = provider.get();
      const parameters = api ? api.parameters : this.#deps.refreshParameters;
      // RFC 9449 §5: every grant of a DPoP login is proved with its key, a named API's too.
      const dpop = current.dpopKey && (await this.dpopKeys.load(current.dpopKey));
      response = await client.refreshTokenGrant(
        configuration,
        current.refreshToken,
        parameters,
        dpop ? { DPoP: dpop.grantHandle(configuration) } : undefined,
      );
    } catch (err) {
      if (api && isApiRefusal(err)) throw await this.#refused(sessionId, current, api, reason, err.error);
      throw await this.#failed(sessionId, api, reason, err);
    }
    this.#retries.delete(flightKey(sessionId, api));
    const gotRefreshToken = response.refresh_token !== current.refreshToken ? response.refresh_token : undefined;
    const claims = response.claims();
    const mismatch = claims && refreshedIdTokenMismatch(current.idToken, claims);
    if (mismatch) {
      throw await this.#failed(sessionId, api, reason, new IdTokenMismatchError(mismatch), gotRefreshToken);
    }

    const next = api
      ? withApiToken(current, api.name, response, this.#now(), reason)
      : tokenSetFromResponse(response, this.#now(), current, reason);
    if (!(await store.update(sessionId, next, this.#recordTtlSeconds))) {
      // Logged out, expired or replaced meanwhile: keep nothing we cannot store.
      if (gotRefreshToken) await this.#revoke(gotRefreshToken);
      const newest = await store.get(sessionId);
      if (newest && newest.version > current.version) return newest;
      throw new LoginRequiredError('errors:message.session_ended');
    }
    recordRefresh(this.#deps, sessionId, this.#now(), {
      reason,
      api,
      rotated: gotRefreshToken !== undefined,
      lifetimeSeconds: (api ? apiTokenOf(next, api.name) : next)?.lifetimeSeconds ?? next.lifetimeSeconds,
      newIdToken: response.id_token !== undefined,
      latencyMs: this.#now() - started,
    });
    return next;
  }

  /** The provider will not issue this API's token for this login: remembered in the record, a 403 for the caller. */
  async #refused(
    sessionId: string,
    current: TokenSet,
    api: ApiGrantTarget,
    reason: RefreshReason,
    error: string,
  ): Promise<AppError> {
    recordApiRefusal(this.#deps, sessionId, this.#now(), { reason, api, error });
    // Fenced like any write: if the record changed meanwhile, the next call simply asks again.
    await this.#deps.store.update(sessionId, withApiRefusal(current, api.name, error), this.#recordTtlSeconds);
    return new ApiNotAuthorizedError(api.name, error);
  }

  /**
   * Logs a failed refresh and returns the error for the caller; ends the login when the failure
   * says so. A passing failure starts a backoff for the session's refresh, or for one API's grant.
   */
  async #failed(
    sessionId: string,
    api: ApiGrantTarget | undefined,
    reason: RefreshReason,
    err: unknown,
    gotRefreshToken?: string,
  ): Promise<AppError> {
    const failure = classifyRefreshFailure(err);
    recordRefreshFailure(this.#deps, sessionId, this.#now(), { reason, api, failure, detail: errorSummary(err) });
    const retryKey = flightKey(sessionId, api);
    if (failure instanceof LoginRequiredError) {
      // A refresh token the provider refused is dead already; any other we hold is revoked.
      await this.endLogin(sessionId, { revoke: !isRefusedGrant(err) });
      if (gotRefreshToken) await this.#revoke(gotRefreshToken);
    } else {
      const failures = (this.#retries.get(retryKey)?.failures ?? 0) + 1;
      const delayMs = backoffDelay(failures - 1, RETRY_BACKOFF);
      this.#retries.set(retryKey, { failures, retryAt: this.#now() + delayMs });
      // The caller's Retry-After says when this instance will try again.
      if (failure instanceof ProviderUnavailableError)
        return new ProviderUnavailableError(err, Math.ceil(delayMs / 1000));
    }
    return failure;
  }

  async #revoke(refreshToken: string): Promise<boolean> {
    if (!this.#deps.provider.ready) return false;
    return revokeRefreshToken(this.#deps.provider.get(), refreshToken, this.#deps.logger);
  }
}

/** The single-flight and backoff key: the session's own refresh, or one named API's grant. */
function flightKey(sessionId: string, api: ApiGrantTarget | undefined): string {
  return api ? `${sessionId} ${api.name}` : sessionId;
}

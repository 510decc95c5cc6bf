/**
 * Hands out a usable access token for a session, refreshing only when needed.
 *
 * Rules enforced here:
 * - Refresh only when the token is about to expire (oidc/tokens.ts), or when
 *   forced: the API rejected a token we believed valid, or a developer asked.
 * - Forced refreshes are capped: "refresh now" at most once per 10 s per
 *   session (then 429); a token that came from a refresh forced by the API's
 *   `invalid_token` is not force-refreshed again when the API refuses it too
 *   (an API that refuses every token would otherwise cost one grant per call).
 * - One refresh at a time per session: concurrent callers share the same
 *   promise (single-flight), and across instances the RefreshLock serializes.
 *   After taking the lock, re-read the store: someone else may have refreshed.
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
 */
import * as client from 'openid-client';
import { LRUCache } from 'lru-cache';
import {
  AppError,
  ClientAuthenticationError,
  errorSummary,
  isClientAuthenticationFailure,
  isProviderOutage,
  LoginRequiredError,
  ProviderUnavailableError,
} from '../errors.js';
import type { FlowLog } from '../flow/flow-log.js';
import type { Logger } from '../logger.js';
import type { ProviderConnection } from '../oidc/client.js';
import { revokeRefreshToken } from '../oidc/logout.js';
import { isIdTokenClaimMismatch, refreshedIdTokenMismatch } from '../oidc/refreshed-id-token.js';
import { tokenSetFromResponse, type TokenSet, type TokenSource } from '../oidc/tokens.js';
import { needsRefresh } from './refresh-margin.js';
import { backoffDelay } from '../retry.js';
import { keepAliveIntervalMs } from '../session/session-cookie.js';
import { metrics, refreshOutcome } from '../observability/metrics.js';
import type { RefreshLock } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';
import type { LoginIndex } from './login-index.js';

export type RefreshReason = Exclude<TokenSource, 'login'>;

/** "Refresh now" at most this often per session. */
const MANUAL_REFRESH_INTERVAL_MS = 10_000;
/** Retry delays of a refresh that failed while the token was still valid. */
const RETRY_BACKOFF = { firstMs: 1_000, maxMs: 30_000 };

export class RefreshTooFrequentError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, 'refresh_too_frequent', 'The session was refreshed a moment ago. Please wait a few seconds.', {
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

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
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

  /** Returns tokens whose access token is usable now, refreshing if needed. */
  async getTokens(sessionId: string, request: AccessTokenRequest = {}): Promise<TokenSet> {
    const tokens = request.stored !== undefined ? request.stored : await this.#deps.store.get(sessionId);
    if (!tokens) throw new LoginRequiredError();
    const now = this.#now();
    if (request.force === 'rejected_by_api') {
      if (request.rejectedAccessToken !== tokens.accessToken) return tokens; // Already replaced since that call started.
      if (tokens.source === 'rejected_by_api') return tokens; // The API refuses fresh tokens too: do not loop.
      return this.#refreshOnce(sessionId, tokens, 'rejected_by_api');
    }
    if (request.force === 'manual') {
      const waitMs = tokens.source === 'manual' ? tokens.receivedAt + MANUAL_REFRESH_INTERVAL_MS - now : 0;
      if (waitMs > 0) throw new RefreshTooFrequentError(Math.ceil(waitMs / 1000));
      return this.#refreshOnce(sessionId, tokens, 'manual');
    }
    if (!needsRefresh(tokens, now)) return tokens;
    const retry = this.#retries.get(sessionId);
    if (now < tokens.expiresAt) {
      // Early: the token still works, so nobody waits for a refresh that is running or backing off.
      if (this.#inFlight.has(sessionId) || (retry && now < retry.retryAt)) return tokens;
      try {
        return await this.#refreshOnce(sessionId, tokens, 'expiring', { wait: false });
      } catch (err) {
        if (err instanceof LoginRequiredError) throw err;
        return tokens;
      }
    }
    if (retry && now < retry.retryAt && !this.#inFlight.has(sessionId)) {
      throw new ProviderUnavailableError(undefined, Math.ceil((retry.retryAt - now) / 1000));
    }
    return this.#refreshOnce(sessionId, tokens, 'expiring');
  }

  #refreshOnce(
    sessionId: string,
    seen: TokenSet,
    reason: RefreshReason,
    lockOptions?: { wait: boolean },
  ): Promise<TokenSet> {
    const running = this.#inFlight.get(sessionId);
    if (running) metrics.refreshWaits.inc({ on: 'single_flight' });
    if (running) return running;
    const refresh = this.#deps.lock
      .withLock(sessionId, () => this.#refresh(sessionId, seen.version, reason), lockOptions)
      .finally(() => this.#inFlight.delete(sessionId));
    this.#inFlight.set(sessionId, refresh);
    return refresh;
  }

  async #refresh(sessionId: string, seenVersion: number, reason: RefreshReason): Promise<TokenSet> {
    const { store, provider } = this.#deps;
    const current = await store.get(sessionId);
    if (!current) throw new LoginRequiredError();
    // Another instance refreshed while we waited for the lock: use its result.
    if (current.version > seenVersion && !needsRefresh(current, this.#now())) return current;
    if (!current.refreshToken) {
      await this.endLogin(sessionId);
      throw new LoginRequiredError('Your session has expired. Please log in again.');
    }

    const started = this.#now();
    let response: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    try {
      this.refreshCount += 1;
      response = await client.refreshTokenGrant(provider.get(), current.refreshToken, this.#deps.refreshParameters);
    } catch (err) {
      throw await this.#failed(sessionId, reason, err);
    }
    this.#retries.delete(sessionId);
    const gotRefreshToken = response.refresh_token !== current.refreshToken ? response.refresh_token : undefined;
    const claims = response.claims();
    const mismatch = claims && refreshedIdTokenMismatch(current.idToken, claims);
    if (mismatch) {
      throw await this.#failed(sessionId, reason, new IdTokenMismatchError(mismatch), gotRefreshToken);
    }

    const next = tokenSetFromResponse(response, this.#now(), current, reason);
    if (!(await store.update(sessionId, next, this.#recordTtlSeconds))) {
      // Logged out, expired or replaced meanwhile: keep nothing we cannot store.
      if (gotRefreshToken) await this.#revoke(gotRefreshToken);
      const latest = await store.get(sessionId);
      if (latest && latest.version > current.version) return latest;
      throw new LoginRequiredError('Your session has ended. Please log in again.');
    }
    this.#recordRefresh(sessionId, reason, next, gotRefreshToken !== undefined, response, started);
    return next;
  }

  /** Logs a failed refresh and returns the error for the caller; ends the login when the failure says so. */
  async #failed(sessionId: string, reason: RefreshReason, err: unknown, gotRefreshToken?: string): Promise<AppError> {
    const failure = this.#classify(err);
    this.#deps.flowLog.append(sessionId, {
      type: 'refresh_failed',
      at: this.#now(),
      data: { reason, error: failure.code, status: failure.status },
    });
    this.#deps.logger.warn({ reason, error: failure.code, detail: errorSummary(err) }, 'token refresh failed');
    metrics.refreshGrants.inc({ reason, outcome: refreshOutcome(failure) });
    if (failure instanceof LoginRequiredError) {
      // A refresh token the provider refused is dead already; any other we hold is revoked.
      await this.endLogin(sessionId, { revoke: !isRefusedGrant(err) });
      if (gotRefreshToken) await this.#revoke(gotRefreshToken);
    } else {
      const failures = (this.#retries.get(sessionId)?.failures ?? 0) + 1;
      const delayMs = backoffDelay(failures - 1, RETRY_BACKOFF);
      this.#retries.set(sessionId, { failures, retryAt: this.#now() + delayMs });
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

  #recordRefresh(
    sessionId: string,
    reason: RefreshReason,
    next: TokenSet,
    rotated: boolean,
    response: client.TokenEndpointResponse,
    started: number,
  ): void {
    this.#deps.flowLog.append(sessionId, {
      type: 'refresh',
      at: this.#now(),
      data: {
        reason,
        rotated,
        lifetimeSeconds: next.lifetimeSeconds,
        newIdToken: response.id_token !== undefined,
        latencyMs: this.#now() - started,
      },
    });
    this.#deps.logger.info({ reason, rotated, lifetimeSeconds: next.lifetimeSeconds }, 'tokens refreshed');
    metrics.refreshGrants.inc({ reason, outcome: 'ok' });
  }

  #classify(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof IdTokenMismatchError || isIdTokenClaimMismatch(err)) {
      return new LoginRequiredError('The identity provider answered for a different login. Please log in again.');
    }
    if (isProviderOutage(err)) return new ProviderUnavailableError(err);
    if (isRefusedGrant(err)) return new LoginRequiredError('Your session has ended. Please log in again.');
    // Our credentials, not the login, were refused: keep the tokens, the fix is in the deployment.
    if (isClientAuthenticationFailure(err)) return new ClientAuthenticationError({ cause: err });
    if (err instanceof client.ResponseBodyError) {
      return new AppError(502, 'refresh_failed', 'The identity provider refused to refresh the session.', {
        cause: err,
      });
    }
    return new AppError(502, 'refresh_failed', 'The session could not be refreshed.', { cause: err });
  }
}

/** A refreshed ID token that does not continue the login (the mismatching claim's name only). */
class IdTokenMismatchError extends Error {
  constructor(claim: string) {
    super(`refreshed ID token does not match the login: ${claim}`);
    this.name = 'IdTokenMismatchError';
  }
}

/** The provider itself refused the refresh token: revoking it again is pointless. */
function isRefusedGrant(err: unknown): boolean {
  return err instanceof client.ResponseBodyError && err.error === 'invalid_grant';
}

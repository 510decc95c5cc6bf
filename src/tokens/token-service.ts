/**
 * Hands out a usable access token for a session, refreshing only when needed.
 *
 * Rules enforced here:
 * - Refresh only when the token is about to expire (tokens.ts), or once when
 *   the API rejected a token we believed valid. Never on every call.
 * - One refresh at a time per session: concurrent callers share the same
 *   promise (single-flight), and across instances the RefreshLock serializes.
 * - After taking the lock, re-read the store: someone else may have refreshed.
 * - The rotated refresh token is saved before anyone gets the new access token.
 * - `invalid_grant` (RFC 6749 §5.2: revoked or expired refresh token) ends the
 *   login: tokens are deleted and callers get `login_required`.
 * - Provider unreachable or 5xx: the tokens are kept and callers get a 503.
 */
import * as client from 'openid-client';
import { AppError, LoginRequiredError, ProviderUnavailableError } from '../errors.js';
import type { ProviderConnection } from '../oidc/client.js';
import { errorSummary } from '../errors.js';
import { isProviderOutage } from '../errors.js';
import { needsRefresh, tokenSetFromResponse, type TokenSet } from '../oidc/tokens.js';
import type { Logger } from '../logger.js';
import type { FlowLog } from '../flow/flow-log.js';
import type { RefreshLock } from './refresh-lock.js';
import type { TokenStore } from './token-store.js';

export type RefreshReason = 'expiring' | 'rejected_by_api' | 'manual';

export interface TokenServiceDeps {
  readonly store: TokenStore;
  readonly provider: ProviderConnection;
  readonly lock: RefreshLock;
  readonly flowLog: FlowLog;
  readonly logger: Logger;
  readonly tokenTtlSeconds: number;
  /** Sent with every refresh grant (oidc/token-request.ts), e.g. the RFC 8707 `resource`. */
  readonly refreshParameters?: Readonly<Record<string, string>>;
  readonly now?: () => number;
}

export interface AccessTokenRequest {
  /** Refresh even if the token looks valid: the API said it is not, or a developer asked. */
  readonly force?: Exclude<RefreshReason, 'expiring'>;
  /** With `force: 'rejected_by_api'`: the token that was rejected, so a refresh already done by someone else counts. */
  readonly rejectedAccessToken?: string;
  /** The record the caller has just read from the store (saves a second read); refreshes re-read it anyway. */
  readonly stored?: TokenSet;
}

export class TokenService {
  readonly #deps: TokenServiceDeps;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<TokenSet>>();
  /** Refresh grants sent by this instance (for the benchmark and tests). */
  refreshCount = 0;

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Stores the token set of a fresh login. */
  async saveLogin(sessionId: string, tokens: TokenSet): Promise<void> {
    await this.#deps.store.save(sessionId, tokens, this.#deps.tokenTtlSeconds);
  }

  async peek(sessionId: string): Promise<TokenSet | undefined> {
    return this.#deps.store.get(sessionId);
  }

  /**
   * Ends a login's server-side state: its token record and its flow log. The
   * one place a login ends (logout, absolute timeout, a refused refresh);
   * returns the tokens it held so the caller can revoke them.
   */
  async endLogin(sessionId: string): Promise<TokenSet | undefined> {
    const tokens = await this.#deps.store.get(sessionId);
    await this.#deps.store.delete(sessionId);
    await this.#deps.flowLog.delete(sessionId);
    return tokens;
  }

  /** Returns tokens whose access token is usable now, refreshing if needed. */
  async getTokens(sessionId: string, request: AccessTokenRequest = {}): Promise<TokenSet> {
    const tokens = request.stored ?? (await this.#deps.store.get(sessionId));
    if (!tokens) throw new LoginRequiredError();
    if (request.force === 'rejected_by_api' && request.rejectedAccessToken !== tokens.accessToken) {
      return tokens; // Already replaced since that call started.
    }
    if (!request.force && !needsRefresh(tokens, this.#now())) return tokens;
    return this.#refreshOnce(sessionId, tokens.version, request.force ?? 'expiring');
  }

  #refreshOnce(sessionId: string, seenVersion: number, reason: RefreshReason): Promise<TokenSet> {
    const running = this.#inFlight.get(sessionId);
    if (running) return running;
    const refresh = this.#deps.lock
      .withLock(sessionId, () => this.#refresh(sessionId, seenVersion, reason))
      .finally(() => this.#inFlight.delete(sessionId));
    this.#inFlight.set(sessionId, refresh);
    return refresh;
  }

  async #refresh(sessionId: string, seenVersion: number, reason: RefreshReason): Promise<TokenSet> {
    const { store, provider, flowLog, logger } = this.#deps;
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
      const failure = this.#classify(err);
      flowLog.append(sessionId, {
        type: 'refresh_failed',
        at: this.#now(),
        data: { reason, error: failure.code, status: failure.status },
      });
      logger.warn({ reason, error: failure.code, detail: errorSummary(err) }, 'token refresh failed');
      if (failure instanceof LoginRequiredError) await this.endLogin(sessionId);
      throw failure;
    }
    const next = tokenSetFromResponse(response, this.#now(), current);
    await store.save(sessionId, next, this.#deps.tokenTtlSeconds);
    const rotated = response.refresh_token !== undefined && response.refresh_token !== current.refreshToken;
    flowLog.append(sessionId, {
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
    logger.info({ reason, rotated, lifetimeSeconds: next.lifetimeSeconds }, 'tokens refreshed');
    return next;
  }

  #classify(err: unknown): AppError {
    if (err instanceof AppError) return err;
    if (isProviderOutage(err)) return new ProviderUnavailableError(err);
    if (err instanceof client.ResponseBodyError) {
      if (err.error === 'invalid_grant') return new LoginRequiredError('Your session has ended. Please log in again.');
      return new AppError(502, 'refresh_failed', 'The identity provider refused to refresh the session.', {
        cause: err,
      });
    }
    return new AppError(502, 'refresh_failed', 'The session could not be refreshed.', { cause: err });
  }
}

/**
 * Where a session's tokens live: next to the session, never inside it.
 *
 * express-session writes the *whole* session object back at the end of every
 * request that changed it. If tokens lived there, a slow request that loaded
 * the session before a refresh could write the old, already-rotated refresh
 * token back and lose the new one (RFC 9700 §4.14.2: reusing a rotated refresh
 * token revokes the whole grant). So tokens have their own record, keyed by the
 * session id, written only by login, refresh and logout, and every write is
 * compare-and-set on `version`: an older token set can never replace a newer one.
 */
import type { TokenSet } from '../oidc/tokens.js';

export interface TokenStore {
  get(sessionId: string): Promise<TokenSet | undefined>;
  /** Saves `tokens` unless the stored set has the same or a higher version; returns whether it was written. */
  save(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean>;
  delete(sessionId: string): Promise<void>;
}

/** Single-instance token store: synchronous compare-and-set in one Map with expiry. */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, { tokens: TokenSet; expiresAt: number }>();
  readonly #maxEntries: number;
  #sweepTimer: NodeJS.Timeout;

  constructor(maxEntries: number, sweepIntervalMs = 60_000) {
    this.#maxEntries = maxEntries;
    this.#sweepTimer = setInterval(() => this.#sweep(Date.now()), sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  async get(sessionId: string): Promise<TokenSet | undefined> {
    const entry = this.#entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    return entry.tokens;
  }

  async save(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean> {
    const current = this.#entries.get(sessionId);
    if (current && current.tokens.version >= tokens.version) return false;
    if (!current && this.#entries.size >= this.#maxEntries) {
      // Bounded: drop the oldest entry (Map keeps insertion order).
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(sessionId, { tokens: Object.freeze({ ...tokens }), expiresAt: Date.now() + ttlSeconds * 1000 });
    return true;
  }

  async delete(sessionId: string): Promise<void> {
    this.#entries.delete(sessionId);
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    clearInterval(this.#sweepTimer);
  }

  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(id);
  }
}

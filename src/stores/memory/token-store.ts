/**
 * Single-instance token store: one bounded LRU cache, each record expiring
 * after the TTL of its last write or touch (tokens/token-store.ts says why
 * tokens live apart from the session and which rules a store keeps). Every
 * method runs without an `await` between its read and its write, so each one
 * is atomic in Node's single thread.
 */
import { LRUCache } from 'lru-cache';
import { frozenTokenSet, type TokenSet } from '../../oidc/tokens.js';
import type { TokenStore } from '../../tokens/token-store.js';
import { expiringLru, ttlMs } from '../ttl.js';

export class MemoryTokenStore implements TokenStore {
  readonly #entries: LRUCache<string, TokenSet>;

  constructor(maxEntries: number) {
    this.#entries = expiringLru<TokenSet>(maxEntries);
  }

  async get(sessionId: string): Promise<TokenSet | undefined> {
    return this.#entries.get(sessionId);
  }

  async create(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<void> {
    this.#entries.set(sessionId, frozenTokenSet(tokens), { ttl: ttlMs(ttlSeconds) });
  }

  async update(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean> {
    const current = this.#entries.get(sessionId);
    if (!current || current.version !== tokens.version - 1) return false;
    this.#entries.set(sessionId, frozenTokenSet(tokens), { ttl: ttlMs(ttlSeconds) });
    return true;
  }

  async touch(sessionId: string, ttlSeconds: number): Promise<void> {
    const current = this.#entries.get(sessionId);
    if (current) this.#entries.set(sessionId, current, { ttl: ttlMs(ttlSeconds) });
  }

  async delete(sessionId: string): Promise<TokenSet | undefined> {
    const tokens = this.#entries.get(sessionId);
    this.#entries.delete(sessionId);
    return tokens;
  }

  /** Live records (expired ones are dropped first: the purge runs only once a minute, ttl.ts). */
  get size(): number {
    this.#entries.purgeStale();
    return this.#entries.size;
  }
}

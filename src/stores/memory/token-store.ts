/**
 * Single-instance token store: compare-and-set in one bounded LRU cache, each
 * record expiring with the login's absolute lifetime (tokens/token-store.ts
 * says why tokens live apart from the session).
 */
import { LRUCache } from 'lru-cache';
import type { TokenSet } from '../../oidc/tokens.js';
import type { TokenStore } from '../../tokens/token-store.js';

export class MemoryTokenStore implements TokenStore {
  readonly #entries: LRUCache<string, TokenSet>;

  constructor(maxEntries: number) {
    this.#entries = new LRUCache<string, TokenSet>({ max: maxEntries, ttlAutopurge: true, ttl: 24 * 60 * 60 * 1000 });
  }

  async get(sessionId: string): Promise<TokenSet | undefined> {
    return this.#entries.get(sessionId);
  }

  async save(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean> {
    const current = this.#entries.get(sessionId);
    if (current && current.version >= tokens.version) return false;
    this.#entries.set(sessionId, Object.freeze({ ...tokens }), { ttl: Math.max(1, ttlSeconds) * 1000 });
    return true;
  }

  async delete(sessionId: string): Promise<void> {
    this.#entries.delete(sessionId);
  }

  get size(): number {
    return this.#entries.size;
  }
}

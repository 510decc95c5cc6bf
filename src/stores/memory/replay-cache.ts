/**
 * Single-instance replay cache for logout token ids (oidc/backchannel-logout.ts):
 * a bounded LRU whose entries expire when the token could no longer be accepted.
 */
import { LRUCache } from 'lru-cache';
import type { ReplayCache } from '../../oidc/backchannel-logout.js';

export class MemoryReplayCache implements ReplayCache {
  readonly #seen: LRUCache<string, true>;

  constructor(maxEntries: number) {
    this.#seen = new LRUCache<string, true>({ max: maxEntries, ttlAutopurge: true, ttl: 10 * 60 * 1000 });
  }

  async firstUse(jti: string, ttlSeconds: number): Promise<boolean> {
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, true, { ttl: Math.max(1, ttlSeconds) * 1000 });
    return true;
  }
}

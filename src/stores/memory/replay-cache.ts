/**
 * Single-instance replay cache for logout token ids (oidc/backchannel-logout.ts):
 * a bounded LRU whose entries expire when the token could no longer be accepted.
 */
import { LRUCache } from 'lru-cache';
import type { ReplayCache } from '../../oidc/backchannel-logout.js';
import { expiringLru, ttlMs } from '../ttl.js';

export class MemoryReplayCache implements ReplayCache {
  readonly #seen: LRUCache<string, true>;

  constructor(maxEntries: number) {
    this.#seen = expiringLru<true>(maxEntries, 10 * 60 * 1000);
  }

  async firstUse(jti: string, ttlSeconds: number): Promise<boolean> {
    if (this.#seen.has(jti)) return false;
    this.#seen.set(jti, true, { ttl: ttlMs(ttlSeconds, 1000) });
    return true;
  }
}

/**
 * Single-instance login index (tokens/login-index.ts): one bounded LRU of
 * logins; the `sid` and `sub` lookups are kept in step with it by the LRU's
 * `dispose`, so an evicted or expired login leaves no trace in them.
 */
import { LRUCache } from 'lru-cache';
import type { LoginIndex, LoginRef } from '../../tokens/login-index.js';
import { expiringLru, ttlMs } from '../ttl.js';

export class MemoryLoginIndex implements LoginIndex {
  readonly #bySid = new Map<string, Set<string>>();
  readonly #bySub = new Map<string, Set<string>>();
  readonly #logins: LRUCache<string, LoginRef>;
  readonly #ended: LRUCache<string, true>;

  constructor(maxEntries: number) {
    this.#logins = new LRUCache<string, LoginRef>({
      max: maxEntries,
      ttl: 24 * 60 * 60 * 1000,
      ttlAutopurge: true,
      dispose: (login, sessionId) => {
        unlink(this.#bySub, login.sub, sessionId);
        if (login.sid) unlink(this.#bySid, login.sid, sessionId);
      },
    });
    this.#ended = expiringLru<true>(maxEntries);
  }

  async add(sessionId: string, login: LoginRef, ttlSeconds: number): Promise<void> {
    this.#logins.set(sessionId, { sub: login.sub, sid: login.sid }, { ttl: ttlMs(ttlSeconds, 1000) });
    link(this.#bySub, login.sub, sessionId);
    if (login.sid) link(this.#bySid, login.sid, sessionId);
  }

  async find(match: { sid?: string | undefined; sub?: string | undefined }): Promise<string[]> {
    const candidates = match.sid ? this.#bySid.get(match.sid) : match.sub ? this.#bySub.get(match.sub) : undefined;
    return [...(candidates ?? [])].filter((id) => {
      const login = this.#logins.get(id);
      return login !== undefined && (match.sub === undefined || login.sub === match.sub);
    });
  }

  async remove(sessionId: string): Promise<void> {
    this.#logins.delete(sessionId);
  }

  async markEndedAtProvider(sessionId: string, ttlSeconds: number): Promise<void> {
    this.#ended.set(sessionId, true, { ttl: ttlMs(ttlSeconds, 1000) });
  }

  async takeEndedAtProvider(sessionId: string): Promise<boolean> {
    return this.#ended.delete(sessionId);
  }
}

function link(index: Map<string, Set<string>>, key: string, sessionId: string): void {
  const ids = index.get(key) ?? new Set<string>();
  ids.add(sessionId);
  index.set(key, ids);
}

function unlink(index: Map<string, Set<string>>, key: string, sessionId: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(sessionId);
  if (ids.size === 0) index.delete(key);
}

/**
 * Single-instance login index (tokens/login-index.ts): one bounded LRU of
 * logins; the `sid` and `sub` lookups are kept in step with it by the LRU's
 * `dispose`, so an evicted or expired login leaves no trace in them.
 */
import { LRUCache } from 'lru-cache';
import type { LoginEnding, LoginIndex, LoginRecord, LoginSummary } from '../../tokens/login-index.js';
import { expiringLru, ttlMs } from '../ttl.js';

/** An indexed login, one object; `lastSeenAt` changes in place (a `set` would dispose the entry and unlink it). */
interface Entry extends LoginRecord {
  lastSeenAt: number;
}

export class MemoryLoginIndex implements LoginIndex {
  readonly #bySid = new Map<string, SessionIds>();
  readonly #bySub = new Map<string, SessionIds>();
  readonly #logins: LRUCache<string, Entry>;
  readonly #ended: LRUCache<string, LoginEnding>;

  constructor(maxEntries: number) {
    this.#logins = expiringLru<Entry>(maxEntries, undefined, (login, sessionId) => {
      unlink(this.#bySub, login.sub, sessionId);
      if (login.sid) unlink(this.#bySid, login.sid, sessionId);
    });
    this.#ended = expiringLru<LoginEnding>(maxEntries);
  }

  async add(sessionId: string, login: LoginRecord, ttlSeconds: number): Promise<void> {
    const { sub, sid, createdAt, browser } = login;
    this.#logins.set(
      sessionId,
      { sub, sid, createdAt, browser, lastSeenAt: createdAt },
      { ttl: ttlMs(ttlSeconds, 1000) },
    );
    link(this.#bySub, sub, sessionId);
    if (sid) link(this.#bySid, sid, sessionId);
  }

  async find(match: { sid?: string | undefined; sub?: string | undefined }): Promise<string[]> {
    const candidates = match.sid ? idsOf(this.#bySid, match.sid) : match.sub ? idsOf(this.#bySub, match.sub) : [];
    return candidates.filter((id) => {
      const entry = this.#logins.get(id);
      return entry !== undefined && (match.sub === undefined || entry.sub === match.sub);
    });
  }

  async listForUser(sub: string): Promise<LoginSummary[]> {
    return idsOf(this.#bySub, sub).flatMap((sessionId) => {
      const entry = this.#logins.get(sessionId);
      if (!entry) return [];
      const { createdAt, browser } = entry;
      return [{ sessionId, createdAt, browser, lastSeenAt: entry.lastSeenAt }];
    });
  }

  async seen(sessionId: string, at: number): Promise<void> {
    const entry = this.#logins.get(sessionId);
    if (entry) entry.lastSeenAt = Math.max(entry.lastSeenAt, at);
  }

  async remove(sessionId: string): Promise<void> {
    this.#logins.delete(sessionId);
  }

  async markEnded(sessionId: string, ending: LoginEnding, ttlSeconds: number): Promise<void> {
    this.#ended.set(sessionId, ending, { ttl: ttlMs(ttlSeconds, 1000) });
  }

  async takeEnded(sessionId: string): Promise<LoginEnding | undefined> {
    const ending = this.#ended.get(sessionId);
    this.#ended.delete(sessionId);
    return ending;
  }
}

/**
 * The logins one key names: a provider session (`sid`) almost always names one, so a single
 * login is kept as its session id, and only a key with several gets a Set (an empty Set and its
 * table cost about 150 bytes, more than the id itself, for every login).
 */
type SessionIds = string | Set<string>;

function idsOf(index: Map<string, SessionIds>, key: string): string[] {
  const ids = index.get(key);
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
}

function link(index: Map<string, SessionIds>, key: string, sessionId: string): void {
  const ids = index.get(key);
  if (ids === undefined || ids === sessionId) index.set(key, sessionId);
  else if (typeof ids === 'string') index.set(key, new Set([ids, sessionId]));
  else ids.add(sessionId);
}

function unlink(index: Map<string, SessionIds>, key: string, sessionId: string): void {
  const ids = index.get(key);
  if (ids === sessionId) index.delete(key);
  else if (typeof ids === 'object') {
    ids.delete(sessionId);
    if (ids.size === 0) index.delete(key);
  }
}

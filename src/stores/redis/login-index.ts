/**
 * The login index in Redis (tokens/login-index.ts), shared by every instance,
 * so a logout token that reaches one instance ends logins made on any other:
 * - `<prefix>login:<sessionId>` the login's `sub` and `sid` as JSON;
 * - `<prefix>login-sid:<hash>` and `<prefix>login-sub:<hash>` sets of session ids;
 * - `<prefix>ended:<sessionId>` set when the provider ended the login.
 * Every key expires with the login; a set is extended on each add, and since
 * every login gets the same lifetime, the newest member's outlives all others. A set member whose login record has expired is skipped by `find`
 * and dropped then. `sub` and `sid` are hashed in key names: a `sub` may be an
 * email address, and key names show up in monitoring tools.
 */
import { createHash } from 'node:crypto';
import type { LoginIndex, LoginRef } from '../../tokens/login-index.js';
import type { RedisConnection } from './connection.js';
import { ttlSeconds as wholeSeconds } from '../ttl.js';

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function parseLogin(raw: unknown): LoginRef | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<LoginRef> | null;
    return value && typeof value.sub === 'string' ? { sub: value.sub, sid: value.sid } : undefined;
  } catch {
    return undefined;
  }
}

export class RedisLoginIndex implements LoginIndex {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  #loginKey(sessionId: string): string {
    return `${this.#redis.keyPrefix}login:${sessionId}`;
  }

  #setKey(kind: 'sid' | 'sub', value: string): string {
    return `${this.#redis.keyPrefix}login-${kind}:${digest(value)}`;
  }

  async add(sessionId: string, login: LoginRef, ttlSeconds: number): Promise<void> {
    const ttl = wholeSeconds(ttlSeconds);
    const sets = [this.#setKey('sub', login.sub), ...(login.sid ? [this.#setKey('sid', login.sid)] : [])];
    await this.#redis.run('logins.add', (c) => {
      const multi = c.multi().set(this.#loginKey(sessionId), JSON.stringify(login), { EX: ttl });
      for (const key of sets) multi.sAdd(key, sessionId).expire(key, ttl);
      return multi.exec();
    });
  }

  async find(match: { sid?: string | undefined; sub?: string | undefined }): Promise<string[]> {
    const setKey = match.sid ? this.#setKey('sid', match.sid) : match.sub ? this.#setKey('sub', match.sub) : undefined;
    if (!setKey) return [];
    const ids = await this.#redis.run('logins.find', (c) => c.sMembers(setKey));
    if (ids.length === 0) return [];
    const logins = await this.#redis.run('logins.find', (c) => c.mGet(ids.map((id) => this.#loginKey(id))));
    const found: string[] = [];
    const expired: string[] = [];
    ids.forEach((id, i) => {
      const login = parseLogin(logins[i]);
      if (!login) expired.push(id);
      else if (match.sub === undefined || login.sub === match.sub) found.push(id);
    });
    if (expired.length > 0) await this.#redis.run('logins.prune', (c) => c.sRem(setKey, expired));
    return found;
  }

  async remove(sessionId: string): Promise<void> {
    const key = this.#loginKey(sessionId);
    const raw = await this.#redis.run('logins.remove', (c) => c.get(key));
    if (raw === null) return; // Never indexed (most sessions a new login replaces): nothing to remove.
    const login = parseLogin(raw);
    await this.#redis.run('logins.remove', (c) => {
      const multi = c.multi().del(key);
      if (login) multi.sRem(this.#setKey('sub', login.sub), sessionId);
      if (login?.sid) multi.sRem(this.#setKey('sid', login.sid), sessionId);
      return multi.exec();
    });
  }

  async markEndedAtProvider(sessionId: string, ttlSeconds: number): Promise<void> {
    const key = `${this.#redis.keyPrefix}ended:${sessionId}`;
    await this.#redis.run('logins.mark_ended', (c) => c.set(key, '1', { EX: wholeSeconds(ttlSeconds) }));
  }

  async takeEndedAtProvider(sessionId: string): Promise<boolean> {
    const key = `${this.#redis.keyPrefix}ended:${sessionId}`;
    // DEL answers how many keys it removed: atomic "was it there", so the notice shows once.
    return (await this.#redis.run('logins.take_ended', (c) => c.del(key))) === 1;
  }
}

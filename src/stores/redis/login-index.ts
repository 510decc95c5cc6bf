/**
 * The login index in Redis (tokens/login-index.ts), shared by every instance,
 * so a logout token that reaches one instance ends logins made on any other:
 * - `<prefix>login:<sessionId>` a hash: `sub`, `sid`, `created`, `seen`, `browser`;
 * - `<prefix>login-sid:<hash>` and `<prefix>login-sub:<hash>` sets of session ids;
 * - `<prefix>ended:<sessionId>` how the login was ended from elsewhere (JSON).
 * Every key expires with the login; a set is extended on each add, and since
 * every login gets the same lifetime, the newest member's outlives all others.
 * A set member whose login has expired is skipped by `find` and dropped then.
 * `sub` and `sid` are hashed in key names: a `sub` may be an email address,
 * and key names show up in monitoring tools.
 *
 * "Last seen" is one field of the hash, so recording activity is one small
 * write (a script, so it never recreates a login that has ended), and
 * TokenService.keepAlive sends it at most once per keep-alive interval.
 */
import { createHash } from 'node:crypto';
import type { LoginEnding, LoginIndex, LoginRecord, LoginSummary } from '../../tokens/login-index.js';
import { TAKE_SCRIPT, type RedisConnection } from './connection.js';
import { ttlSeconds as wholeSeconds } from '../ttl.js';

/** KEYS[1] login hash; ARGV[1] epoch ms. Updates `seen` only while the login exists (HSET alone would recreate it without expiry). */
const SEEN_IF_PRESENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
return 1
`;

/** The hash fields `find` and `listForUser` read, in this order. */
const FIELDS = ['sub', 'sid', 'created', 'seen', 'browser'];

/** A login as the hash holds it, `seen` included. */
interface StoredLogin extends LoginRecord {
  readonly lastSeenAt: number;
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function parseEnding(raw: unknown): LoginEnding | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<LoginEnding> | null;
    return value && (value.by === 'provider' || value.by === 'user') ? (value as LoginEnding) : undefined;
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

  #endedKey(sessionId: string): string {
    return `${this.#redis.keyPrefix}ended:${sessionId}`;
  }

  async add(sessionId: string, login: LoginRecord, ttlSeconds: number): Promise<void> {
    const ttl = wholeSeconds(ttlSeconds);
    const key = this.#loginKey(sessionId);
    const sets = [this.#setKey('sub', login.sub), ...(login.sid ? [this.#setKey('sid', login.sid)] : [])];
    const fields = {
      sub: login.sub,
      ...(login.sid ? { sid: login.sid } : {}),
      created: String(login.createdAt),
      seen: String(login.createdAt),
      browser: login.browser,
    };
    await this.#redis.run('logins.add', (c) => {
      const multi = c.multi().del(key).hSet(key, fields).expire(key, ttl);
      for (const set of sets) multi.sAdd(set, sessionId).expire(set, ttl);
      return multi.exec();
    });
  }

  /** Each session id's login as stored (undefined once it has expired), in one pipelined round trip. */
  async #read(ids: readonly string[]): Promise<(StoredLogin | undefined)[]> {
    const replies = await this.#redis.run('logins.read', (c) =>
      Promise.all(ids.map((id) => c.hmGet(this.#loginKey(id), FIELDS))),
    );
    return replies.map(([sub, sid, created, seen, browser]) =>
      typeof sub === 'string'
        ? {
            sub,
            sid: typeof sid === 'string' ? sid : undefined,
            createdAt: Number(created),
            lastSeenAt: Number(seen ?? created),
            browser: typeof browser === 'string' ? browser : '',
          }
        : undefined,
    );
  }

  /** Members of an index set that still name a login, with the login; drops the others from the set. */
  async #members(setKey: string): Promise<{ sessionId: string; login: StoredLogin }[]> {
    const ids = await this.#redis.run('logins.members', (c) => c.sMembers(setKey));
    if (ids.length === 0) return [];
    const logins = await this.#read(ids);
    const live: { sessionId: string; login: StoredLogin }[] = [];
    const expired: string[] = [];
    ids.forEach((sessionId, i) => {
      const login = logins[i];
      if (login) live.push({ sessionId, login });
      else expired.push(sessionId);
    });
    if (expired.length > 0) await this.#redis.run('logins.prune', (c) => c.sRem(setKey, expired));
    return live;
  }

  async find(match: { sid?: string | undefined; sub?: string | undefined }): Promise<string[]> {
    const setKey = match.sid ? this.#setKey('sid', match.sid) : match.sub ? this.#setKey('sub', match.sub) : undefined;
    if (!setKey) return [];
    const live = await this.#members(setKey);
    return live.filter(({ login }) => match.sub === undefined || login.sub === match.sub).map((l) => l.sessionId);
  }

  async listForUser(sub: string): Promise<LoginSummary[]> {
    const live = await this.#members(this.#setKey('sub', sub));
    return live
      .filter(({ login }) => login.sub === sub)
      .map(({ sessionId, login }) => ({
        sessionId,
        createdAt: login.createdAt,
        lastSeenAt: login.lastSeenAt,
        browser: login.browser,
      }));
  }

  async seen(sessionId: string, at: number): Promise<void> {
    await this.#redis.evalScript('logins.seen', SEEN_IF_PRESENT, [this.#loginKey(sessionId)], [String(at)]);
  }

  async remove(sessionId: string): Promise<void> {
    const key = this.#loginKey(sessionId);
    const [sub, sid] = await this.#redis.run('logins.remove', (c) => c.hmGet(key, ['sub', 'sid']));
    if (typeof sub !== 'string') return; // Never indexed (most sessions a new login replaces): nothing to remove.
    await this.#redis.run('logins.remove', (c) => {
      const multi = c.multi().del(key).sRem(this.#setKey('sub', sub), sessionId);
      if (typeof sid === 'string') multi.sRem(this.#setKey('sid', sid), sessionId);
      return multi.exec();
    });
  }

  async markEnded(sessionId: string, ending: LoginEnding, ttlSeconds: number): Promise<void> {
    const key = this.#endedKey(sessionId);
    await this.#redis.run('logins.mark_ended', (c) =>
      c.set(key, JSON.stringify(ending), { expiration: { type: 'EX', value: wholeSeconds(ttlSeconds) } }),
    );
  }

  async takeEnded(sessionId: string): Promise<LoginEnding | undefined> {
    // GET and DEL in one step: the notice shows once, even with two tabs loading at the same moment.
    return parseEnding(await this.#redis.evalScript('logins.take_ended', TAKE_SCRIPT, [this.#endedKey(sessionId)], []));
  }
}

/**
 * Token sets in Redis, shared by every instance: key `<prefix>tok:<sessionId>`,
 * value `<version>:<encrypted TokenSet>` (at-rest-cipher.ts), expiring after
 * the TTL of its last write or touch. The version stays outside the
 * ciphertext so the scripts below can compare it; it is also part of the
 * authenticated data, so it cannot be changed without breaking the record.
 *
 * `update` is one Lua script, so the rules of tokens/token-store.ts hold
 * across instances in one atomic step: a record is written only over an
 * existing record of the previous version. A refresh that finishes after
 * logout never creates a record, and a slow instance that lost its refresh
 * lock can never replace a newer refresh token (RFC 9700 §4.14.2).
 *
 * Decrypting costs more than the rest of a read: each instance keeps the last
 * record it decrypted per session and reuses it while Redis holds the same value.
 * `get` itself is usually answered from the connection's client-side cache
 * (backends.ts), which Redis invalidates on every change; a refresh reads after
 * taking the cluster lock, a round trip that delivers any invalidation first.
 */
import { LRUCache } from 'lru-cache';
import { frozenTokenSet, type TokenSet } from '../../oidc/tokens.js';
import type { TokenStore } from '../../tokens/token-store.js';
import type { AtRestCipher } from './at-rest-cipher.js';
import { TAKE_SCRIPT, type RedisConnection } from './connection.js';
import { ttlMs } from '../ttl.js';

/** KEYS[1] token key; ARGV[1] value, ARGV[2] new version, ARGV[3] TTL in ms. Returns 1 when written. */
const UPDATE_IF_PREVIOUS_VERSION = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local version = tonumber(string.match(current, '^(%d+):'))
if version == nil or version ~= tonumber(ARGV[2]) - 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;

export function tokenKey(keyPrefix: string, sessionId: string): string {
  return `${keyPrefix}tok:${sessionId}`;
}

export class RedisTokenStore implements TokenStore {
  readonly #redis: RedisConnection;
  readonly #cipher: AtRestCipher;
  /** Session id → the last value read or written and what it decrypts to. */
  readonly #decrypted: LRUCache<string, { raw: string; tokens: TokenSet }>;

  constructor(redis: RedisConnection, cipher: AtRestCipher, maxCachedRecords = 10_000) {
    this.#redis = redis;
    this.#cipher = cipher;
    this.#decrypted = new LRUCache({ max: maxCachedRecords });
  }

  async get(sessionId: string): Promise<TokenSet | undefined> {
    const key = tokenKey(this.#redis.keyPrefix, sessionId);
    const raw = await this.#redis.readRecord('tokens.get', key);
    if (raw === undefined) {
      this.#decrypted.delete(sessionId);
      return undefined;
    }
    const cached = this.#decrypted.get(sessionId);
    if (cached?.raw === raw) return cached.tokens;
    const tokens = this.#decode(key, raw);
    if (tokens) this.#decrypted.set(sessionId, { raw, tokens });
    return tokens;
  }

  async create(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<void> {
    const key = tokenKey(this.#redis.keyPrefix, sessionId);
    const raw = this.#encode(key, tokens);
    await this.#redis.run('tokens.create', (c) =>
      c.set(key, raw, { expiration: { type: 'PX', value: ttlMs(ttlSeconds, 1000) } }),
    );
    this.#decrypted.set(sessionId, { raw, tokens: frozenTokenSet(tokens) });
  }

  async update(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean> {
    const key = tokenKey(this.#redis.keyPrefix, sessionId);
    const raw = this.#encode(key, tokens);
    const written = await this.#redis.evalScript(
      'tokens.update',
      UPDATE_IF_PREVIOUS_VERSION,
      [key],
      [raw, String(tokens.version), String(ttlMs(ttlSeconds, 1000))],
    );
    if (written === 1) this.#decrypted.set(sessionId, { raw, tokens: frozenTokenSet(tokens) });
    return written === 1;
  }

  async touch(sessionId: string, ttlSeconds: number): Promise<void> {
    await this.#redis.run('tokens.touch', (c) =>
      c.pExpire(tokenKey(this.#redis.keyPrefix, sessionId), ttlMs(ttlSeconds, 1000)),
    );
  }

  async delete(sessionId: string): Promise<TokenSet | undefined> {
    const key = tokenKey(this.#redis.keyPrefix, sessionId);
    const cached = this.#decrypted.get(sessionId);
    this.#decrypted.delete(sessionId);
    const reply = await this.#redis.evalScript('tokens.delete', TAKE_SCRIPT, [key], []);
    if (typeof reply !== 'string') return undefined;
    return cached?.raw === reply ? cached.tokens : this.#decode(key, reply);
  }

  #encode(key: string, tokens: TokenSet): string {
    return `${tokens.version}:${this.#cipher.seal(JSON.stringify(tokens), `${key}#${tokens.version}`)}`;
  }

  /** A record that does not decrypt (unknown key, tampered, older format) reads as absent: the user logs in again. */
  #decode(key: string, raw: string): TokenSet | undefined {
    const separator = raw.indexOf(':');
    const version = raw.slice(0, separator);
    const plaintext = separator > 0 ? this.#cipher.open(raw.slice(separator + 1), `${key}#${version}`) : undefined;
    if (plaintext === undefined) return undefined;
    try {
      const value = JSON.parse(plaintext) as Partial<TokenSet> | null;
      if (!value || typeof value.accessToken !== 'string' || String(value.version) !== version) return undefined;
      return Object.freeze(value as TokenSet);
    } catch {
      return undefined;
    }
  }
}

/**
 * Token sets in Redis, shared by every instance: key `<prefix>tok:<sessionId>`,
 * value the TokenSet as JSON, expiring after the TTL given to each save.
 *
 * `save` is one Lua script, so compare-and-set is atomic across instances: it
 * writes only when nothing is stored or the stored `version` is lower. A slow
 * instance that writes an older set late can never replace the newest refresh
 * token (RFC 9700 §4.14.2: reusing a rotated refresh token revokes the grant).
 */
import type { TokenSet } from '../../oidc/tokens.js';
import type { RedisConnection } from './connection.js';
import type { TokenStore } from '../../tokens/token-store.js';

/** KEYS[1] token key; ARGV[1] JSON, ARGV[2] version, ARGV[3] TTL in ms. Returns 1 when written. */
const SAVE_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' then
    local version = tonumber(stored['version'])
    if version and version >= tonumber(ARGV[2]) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;

export function tokenKey(keyPrefix: string, sessionId: string): string {
  return `${keyPrefix}tok:${sessionId}`;
}

function parseTokenSet(raw: string): TokenSet | undefined {
  try {
    const value = JSON.parse(raw) as Partial<TokenSet> | null;
    if (!value || typeof value.accessToken !== 'string' || typeof value.version !== 'number') return undefined;
    return Object.freeze(value as TokenSet);
  } catch {
    return undefined;
  }
}

export class RedisTokenStore implements TokenStore {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async get(sessionId: string): Promise<TokenSet | undefined> {
    const raw = await this.#redis.run('tokens.get', (c) => c.get(tokenKey(this.#redis.keyPrefix, sessionId)));
    return raw === null || raw === undefined ? undefined : parseTokenSet(String(raw));
  }

  async save(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean> {
    const ttlMs = Math.max(1_000, Math.ceil(ttlSeconds * 1000));
    const written = await this.#redis.evalScript(
      'tokens.save',
      SAVE_IF_NEWER,
      [tokenKey(this.#redis.keyPrefix, sessionId)],
      [JSON.stringify(tokens), String(tokens.version), String(ttlMs)],
    );
    return written === 1;
  }

  async delete(sessionId: string): Promise<void> {
    await this.#redis.run('tokens.delete', (c) => c.del(tokenKey(this.#redis.keyPrefix, sessionId)));
  }
}

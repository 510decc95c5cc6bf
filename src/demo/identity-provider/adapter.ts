/**
 * A per-provider in-memory store for oidc-provider's models (sessions, grants, codes, tokens).
 *
 * oidc-provider's own MemoryAdapter works too but is shared by every provider in the process and
 * announces itself on stderr for each instance; this one is private to one provider, honours
 * expiry and is bounded so anonymous traffic cannot grow it without limit.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number;
}

export interface MemoryAdapterOptions {
  /** Most entries kept across all models. */
  readonly maxEntries?: number;
  /**
   * Seconds a consumed (rotated) refresh token still reads as unused: 0 = never, so reusing it is
   * caught and oidc-provider revokes the grant; `Infinity` = a rotated token stays valid. This is
   * how the demo plays providers with a reuse grace period, which oidc-provider has no option for.
   */
  readonly refreshTokenReuseLeewaySeconds?: number;
}

export function createMemoryAdapterFactory(options: MemoryAdapterOptions = {}): AdapterFactory {
  const { maxEntries = 10_000, refreshTokenReuseLeewaySeconds = 0 } = options;
  const entries = new Map<string, StoredEntry>();
  /** When each rotated refresh token was first consumed, while its leeway runs. */
  const consumedAt = new Map<string, number>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grantMembers = new Map<string, Set<string>>();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  const prune = (): void => {
    if (entries.size < maxEntries) return;
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) entries.delete(key);
    }
    // Still full: drop the oldest writes (Map iteration follows insertion order).
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  };

  return (model: string): Adapter => {
    const keyOf = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        prune();
        const key = keyOf(id);
        entries.delete(key);
        entries.set(key, {
          payload: { ...payload },
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
        });
        if (model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
        if (payload.grantId) {
          let members = grantMembers.get(payload.grantId);
          if (!members) grantMembers.set(payload.grantId, (members = new Set()));
          members.add(key);
        }
      },
      async find(id) {
        const payload = read(keyOf(id));
        if (!payload) return undefined;
        const consumed = consumedAt.get(keyOf(id));
        if (consumed !== undefined && Date.now() - consumed >= refreshTokenReuseLeewaySeconds * 1000) {
          return { ...payload, consumed: Math.floor(consumed / 1000) };
        }
        return { ...payload };
      },
      async findByUid(uid) {
        const id = sessionUids.get(uid);
        const payload = id === undefined ? undefined : read(keyOf(id));
        return payload ? { ...payload } : undefined;
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        const payload = id === undefined ? undefined : read(keyOf(id));
        return payload ? { ...payload } : undefined;
      },
      async consume(id) {
        const payload = read(keyOf(id));
        if (!payload) return;
        if (model === 'RefreshToken' && refreshTokenReuseLeewaySeconds > 0) {
          if (!consumedAt.has(keyOf(id))) consumedAt.set(keyOf(id), Date.now());
          return;
        }
        payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(keyOf(id));
        consumedAt.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        const members = grantMembers.get(grantId);
        if (!members) return;
        for (const key of members) {
          if (key.startsWith(`${model}:`)) {
            entries.delete(key);
            consumedAt.delete(key);
            members.delete(key);
          }
        }
        if (members.size === 0) grantMembers.delete(grantId);
      },
    };
  };
}

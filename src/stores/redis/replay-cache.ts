/**
 * Logout token ids in Redis, shared by every instance: `SET key 1 NX EX ttl`
 * is atomic, so of two instances that receive the same token only one accepts it.
 * Key `<prefix>jti:<sha256 of issuer and jti>` (ids are provider-chosen strings
 * of any length; the hash keeps keys short and uniform).
 */
import { createHash } from 'node:crypto';
import type { ReplayCache } from '../../oidc/backchannel-logout.js';
import type { RedisConnection } from './connection.js';
import { ttlSeconds as wholeSeconds } from '../ttl.js';

export class RedisReplayCache implements ReplayCache {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async firstUse(jti: string, ttlSeconds: number): Promise<boolean> {
    const key = `${this.#redis.keyPrefix}jti:${createHash('sha256').update(jti).digest('base64url')}`;
    const set = await this.#redis.run('replay.first_use', (c) =>
      c.set(key, '1', { NX: true, EX: wholeSeconds(ttlSeconds) }),
    );
    return set === 'OK';
  }
}

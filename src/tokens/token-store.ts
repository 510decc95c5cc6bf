/**
 * Where a session's tokens live: next to the session, never inside it.
 *
 * express-session writes the *whole* session object back at the end of every
 * request that changed it. If tokens lived there, a slow request that loaded
 * the session before a refresh could write the old, already-rotated refresh
 * token back and lose the new one (RFC 9700 §4.14.2: reusing a rotated refresh
 * token revokes the whole grant). So tokens have their own record, keyed by the
 * session id, written only by login, refresh and logout.
 *
 * Two rules every implementation keeps in one atomic step:
 * - `create` is for a login only; a refresh result goes through `update`,
 *   which never creates a record. A refresh that finishes after logout, expiry
 *   or re-login (all of which delete the record) cannot bring tokens back.
 * - `update` is fenced by the version its caller read: it writes version n + 1
 *   only over version n. An older or concurrent refresh can never replace the
 *   newest token set, even if its holder lost the refresh lock meanwhile.
 *
 * Every record expires: its time to live follows the session's idle timeout
 * and is extended by activity (`touch`), so an idle session leaves no tokens.
 */
import type { TokenSet } from '../oidc/tokens.js';

export interface TokenStore {
  get(sessionId: string): Promise<TokenSet | undefined>;
  /** Stores the token set of a fresh login under a new session id. */
  create(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<void>;
  /** Writes `tokens` only over a stored set of version `tokens.version - 1`; returns whether it was written. */
  update(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean>;
  /** Extends the record's time to live, if it still exists. */
  touch(sessionId: string, ttlSeconds: number): Promise<void>;
  /** Removes the record and returns what it held (one round trip: a login ending needs both). */
  delete(sessionId: string): Promise<TokenSet | undefined>;
}

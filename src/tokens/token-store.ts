/**
 * Where a session's tokens live: next to the session, never inside it.
 *
 * express-session writes the *whole* session object back at the end of every
 * request that changed it. If tokens lived there, a slow request that loaded
 * the session before a refresh could write the old, already-rotated refresh
 * token back and lose the new one (RFC 9700 §4.14.2: reusing a rotated refresh
 * token revokes the whole grant). So tokens have their own record, keyed by the
 * session id, written only by login, refresh and logout, and every write is
 * compare-and-set on `version`: an older token set can never replace a newer one.
 */
import type { TokenSet } from '../oidc/tokens.js';

export interface TokenStore {
  get(sessionId: string): Promise<TokenSet | undefined>;
  /** Saves `tokens` unless the stored set has the same or a higher version; returns whether it was written. */
  save(sessionId: string, tokens: TokenSet, ttlSeconds: number): Promise<boolean>;
  delete(sessionId: string): Promise<void>;
}

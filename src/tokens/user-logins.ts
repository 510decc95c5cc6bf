/**
 * A user's logins in this app, as the "Sessions" section of the profile page
 * lists them (the login index's entries of that `sub`), and the names the
 * list's forms use for them.
 */
import { createHash } from 'node:crypto';
import type { LoginIndex } from './login-index.js';
import type { TokenService } from './token-service.js';

export interface UserLogin {
  /** What the page's forms send to end this login (`loginHandle`). */
  readonly handle: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly browser: string;
  /** The login of the browser asking. */
  readonly current: boolean;
}

/**
 * The name a login goes by on the Sessions list and in its forms: a digest of
 * the session id, never the id itself (the session cookie carries it). It
 * only means something next to the user's own logins (end-logins.ts
 * `endLoginsOfUser`), so knowing another user's handle gives nothing.
 */
export function loginHandle(sessionId: string): string {
  return createHash('sha256').update(`login-handle:${sessionId}`).digest('base64url').slice(0, 22);
}

/**
 * The user's active logins, this browser's first, then the most recently
 * active. A login idle for longer than its token record lives has ended by
 * the idle timeout, even though its index entry lasts until the absolute
 * timeout: it is not listed.
 */
export async function listUserLogins(
  sub: string,
  currentSessionId: string,
  deps: { readonly logins: LoginIndex; readonly tokens: Pick<TokenService, 'idledOut'> },
  now = Date.now(),
): Promise<UserLogin[]> {
  const logins = await deps.logins.listForUser(sub);
  return logins
    .filter((login) => login.sessionId === currentSessionId || !deps.tokens.idledOut(login.lastSeenAt))
    .map((login) => {
      const current = login.sessionId === currentSessionId;
      return {
        handle: loginHandle(login.sessionId),
        createdAt: login.createdAt,
        lastSeenAt: current ? now : login.lastSeenAt,
        browser: login.browser,
        current,
      };
    })
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt);
}

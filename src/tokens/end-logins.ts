/**
 * Ending logins from elsewhere: the provider's logout token (back-channel
 * logout), or the user's own "sign out" on the Sessions list. Each login ends
 * the same way as a logout from its own browser (TokenService.endLogin, which
 * also revokes its refresh token, RFC 7009 §2), and is marked with how it
 * ended, so its browser is told on its next page (web/ended-login-notice.ts).
 */
import type { LoginEnding, LoginIndex } from './login-index.js';
import type { TokenService } from './token-service.js';
import { loginHandle } from './user-logins.js';

export interface EndLoginsDeps {
  readonly logins: LoginIndex;
  readonly tokens: Pick<TokenService, 'endLoginReporting'>;
  /** How long the "you were signed out" notice waits for the browser's next page. */
  readonly noticeTtlSeconds: number;
  readonly now?: () => number;
}

export interface EndedLogins {
  readonly ended: number;
  /** Of those, how many refresh tokens were revoked at the provider. */
  readonly revoked: number;
}

/** Ends the given logins together (each may wait on a revocation), marking each with `ending`. */
async function endAndMark(
  sessionIds: readonly string[],
  ending: (refreshTokenRevoked: boolean) => LoginEnding,
  deps: EndLoginsDeps,
): Promise<EndedLogins> {
  const revoked = await Promise.all(
    sessionIds.map(async (sessionId) => {
      const { refreshTokenRevoked } = await deps.tokens.endLoginReporting(sessionId);
      await deps.logins.markEnded(sessionId, ending(refreshTokenRevoked), deps.noticeTtlSeconds);
      return refreshTokenRevoked;
    }),
  );
  return { ended: sessionIds.length, revoked: revoked.filter(Boolean).length };
}

/**
 * Ends every login the logout token names (OpenID Connect Back-Channel Logout 1.0 §2.7): `sid` → the logins of that
 * provider session, `sub` alone → all of that user's logins. The provider
 * ending the session has usually revoked the refresh tokens already, but not
 * every provider does, so they are revoked here too.
 */
export async function endLoginsNamedBy(
  named: { readonly issuer: string; readonly sid: string | undefined; readonly sub: string | undefined },
  deps: EndLoginsDeps,
): Promise<EndedLogins> {
  const sessionIds = await deps.logins.find({ sid: named.sid, sub: named.sub });
  const at = (deps.now ?? Date.now)();
  // §2.7: a `sid` names the login; a `sub` with it only narrows the match to that user.
  const matched: ('sid' | 'sub')[] = named.sid ? ['sid', ...(named.sub ? ['sub' as const] : [])] : ['sub'];
  return endAndMark(
    sessionIds,
    (refreshTokenRevoked) => ({ by: 'provider', at, issuer: named.issuer, matched, refreshTokenRevoked }),
    deps,
  );
}

/**
 * Ends logins of one user from one of their own sessions: `which` is a
 * handle from their Sessions list, or `all`. Only that user's logins can
 * match: a handle of anyone else's login ends nothing (and answers 0).
 * The session asking is not ended here: its own logout is the caller's.
 */
export async function endLoginsOfUser(
  sub: string,
  which: { readonly handle: string } | 'all',
  asking: { readonly sessionId: string; readonly browser: string },
  deps: EndLoginsDeps,
): Promise<EndedLogins> {
  const logins = await deps.logins.listForUser(sub);
  const sessionIds = logins
    .map((login) => login.sessionId)
    .filter((id) => id !== asking.sessionId && (which === 'all' || loginHandle(id) === which.handle));
  const at = (deps.now ?? Date.now)();
  return endAndMark(
    sessionIds,
    (refreshTokenRevoked) => ({ by: 'user', at, from: asking.browser, refreshTokenRevoked }),
    deps,
  );
}

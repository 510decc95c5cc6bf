/** Ending the logins a provider names: back-channel logout's effect on this app. */
import type { LoginIndex } from './login-index.js';
import type { TokenService } from './token-service.js';

export interface EndLoginsDeps {
  readonly logins: LoginIndex;
  readonly tokens: Pick<TokenService, 'endLogin'>;
  /** How long the "signed out at your identity provider" notice waits for the browser's next page. */
  readonly noticeTtlSeconds: number;
}

export interface EndedLogins {
  readonly ended: number;
  /** Of those, how many held a refresh token (endLogin revokes it). */
  readonly revoked: number;
}

/**
 * Ends every login the logout token names (OpenID Connect Back-Channel Logout 1.0 §2.7): `sid` → the logins of that
 * provider session, `sub` alone → all of that user's logins. Each one ends the
 * same way as a logout from our own button: TokenService.endLogin, which also
 * revokes its refresh token (RFC 7009 §2; the provider ending the session has
 * usually revoked it already, but not every provider does).
 */
export async function endLoginsNamedBy(
  named: { readonly sid: string | undefined; readonly sub: string | undefined },
  deps: EndLoginsDeps,
): Promise<EndedLogins> {
  const sessionIds = await deps.logins.find({ sid: named.sid, sub: named.sub });
  // Together, not one after another: each ending may wait on a revocation, and the provider waits for our answer.
  const held = await Promise.all(
    sessionIds.map(async (sessionId) => {
      const tokens = await deps.tokens.endLogin(sessionId);
      await deps.logins.markEndedAtProvider(sessionId, deps.noticeTtlSeconds);
      return tokens;
    }),
  );
  return { ended: sessionIds.length, revoked: held.filter((tokens) => tokens?.refreshToken).length };
}

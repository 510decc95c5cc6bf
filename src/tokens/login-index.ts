/**
 * Which logins a back-channel logout ends (OpenID Connect Back-Channel Logout
 * 1.0 §2.6 step 6, §2.7): the provider names a session (`sid`, the one in the
 * ID token of that login) or a user (`sub`), never our session id. So every
 * login is indexed by both, next to its token record and with the same
 * lifetime, and removed when the login ends (TokenService.endLogin).
 *
 * The same index lists a user's logins on the profile page ("Sessions"), so
 * each entry also keeps the few facts that list shows: when the login was
 * made, when it was last active, and the browser's family (never the whole
 * User-Agent). "Last active" is written by TokenService.keepAlive, at most
 * once per keep-alive interval per session and instance, not on every request.
 *
 * A login ended from elsewhere (the provider, or the user's other device) is
 * also marked, so the browser that held it is told why on its next page
 * instead of silently finding itself signed out.
 */

/** The provider's names for one login of this app. */
export interface LoginRef {
  readonly sub: string;
  /** The provider's session id (OIDC Front-/Back-Channel Logout `sid` claim); absent when the provider sends none. */
  readonly sid?: string | undefined;
}

/** One login as the index keeps it. */
export interface LoginRecord extends LoginRef {
  /** Epoch ms of the login. */
  readonly createdAt: number;
  /** A short browser family ("Firefox (Windows)"), web/browser-family.ts. */
  readonly browser: string;
}

/** One login of a user, as the "Sessions" list shows it. */
export interface LoginSummary {
  readonly sessionId: string;
  readonly createdAt: number;
  /** Epoch ms of the last recorded activity (TokenService.keepAlive), at first the login itself. */
  readonly lastSeenAt: number;
  readonly browser: string;
}

/** How a login was ended from elsewhere: what its browser is told, and what the flow inspector shows. */
export type LoginEnding =
  | {
      readonly by: 'provider';
      /** Epoch ms. */
      readonly at: number;
      /** The `iss` of the logout token. */
      readonly issuer: string;
      /** Which of the logout token's claims named this login. */
      readonly matched: readonly ('sid' | 'sub')[];
      /** Whether its refresh token was revoked at the provider (RFC 7009). */
      readonly refreshTokenRevoked: boolean;
    }
  | {
      readonly by: 'user';
      readonly at: number;
      /** The browser family of the device where the user pressed the button. */
      readonly from: string;
      readonly refreshTokenRevoked: boolean;
    };

export interface LoginIndex {
  add(sessionId: string, login: LoginRecord, ttlSeconds: number): Promise<void>;
  /**
   * Our session ids for a logout token's claims: with a `sid`, the logins of that
   * provider session (of that `sub` too, when given); with only a `sub`, all of that user's logins.
   */
  find(match: { readonly sid?: string | undefined; readonly sub?: string | undefined }): Promise<string[]>;
  /** Every indexed login of a user, with what the "Sessions" list shows. */
  listForUser(sub: string): Promise<LoginSummary[]>;
  /** Records activity of a login; does nothing once the login has left the index. Best-effort. */
  seen(sessionId: string, at: number): Promise<void>;
  /** Forgets a login (it ended); harmless when it was never indexed. */
  remove(sessionId: string): Promise<void>;
  /** Remembers how this login was ended, for the next page of its browser. */
  markEnded(sessionId: string, ending: LoginEnding, ttlSeconds: number): Promise<void>;
  /** The ending once after `markEnded`: the notice is shown a single time. */
  takeEnded(sessionId: string): Promise<LoginEnding | undefined>;
}

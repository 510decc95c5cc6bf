/**
 * Which logins a back-channel logout ends (OpenID Connect Back-Channel Logout
 * 1.0 §2.6 step 6, §2.7): the provider names a session (`sid`, the one in the
 * ID token of that login) or a user (`sub`), never our session id. So every
 * login is indexed by both, next to its token record and with the same
 * lifetime, and removed when the login ends (TokenService.endLogin).
 *
 * A login ended from the back channel is also marked, so the browser that held
 * it is told why on its next page instead of silently finding itself signed out.
 */

/** The provider's names for one login of this app. */
export interface LoginRef {
  readonly sub: string;
  /** The provider's session id (OIDC Front-/Back-Channel Logout `sid` claim); absent when the provider sends none. */
  readonly sid?: string | undefined;
}

export interface LoginIndex {
  add(sessionId: string, login: LoginRef, ttlSeconds: number): Promise<void>;
  /**
   * Our session ids for a logout token's claims: with a `sid`, the logins of that
   * provider session (of that `sub` too, when given); with only a `sub`, all of that user's logins.
   */
  find(match: { readonly sid?: string | undefined; readonly sub?: string | undefined }): Promise<string[]>;
  /** Forgets a login (it ended); harmless when it was never indexed. */
  remove(sessionId: string): Promise<void>;
  /** Remembers that this login was ended by the provider, for the next page of its browser. */
  markEndedAtProvider(sessionId: string, ttlSeconds: number): Promise<void>;
  /** True once after `markEndedAtProvider`: the notice is shown a single time. */
  takeEndedAtProvider(sessionId: string): Promise<boolean>;
}

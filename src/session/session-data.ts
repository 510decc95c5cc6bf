/**
 * What a session holds: the pending logins, the user's claims and timestamps.
 * Never tokens: those live in the token store (see token-store.ts).
 */
import type { CallbackOutcome } from '../oidc/callback.js';
import type { PendingLogin, PushedRequest } from '../oidc/login.js';

export interface SessionUser {
  readonly sub: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
  /** ID token claims (iss, aud, auth_time, …), kept for the profile page. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** UserInfo claims when OIDC_USERINFO is on; `userinfoError` says why they are missing. */
  readonly userinfo?: Readonly<Record<string, unknown>>;
  readonly userinfoError?: string;
}

declare module 'express-session' {
  interface SessionData {
    /** Logins in progress, keyed by `state`; a few at once so two tabs can both finish. */
    pendingLogins?: Record<string, PendingLogin>;
    user?: SessionUser;
    /** Epoch ms of the login; the absolute session lifetime counts from here. */
    authenticatedAt?: number;
    /** Synchronizer token for our own forms (POST /logout). */
    csrfToken?: string;
  }
}

/** True when a login is older than the absolute session lifetime (ASVS 5.0 §7.3.2), however active it was. */
export function loginExpired(authenticatedAt: number | undefined, absoluteSeconds: number, now: number): boolean {
  return authenticatedAt !== undefined && now - authenticatedAt > absoluteSeconds * 1000;
}

/**
 * Removes the login from a session: the user and the login time. What is left
 * (pending logins, the form token) stays, so pages and API both see "not
 * logged in" and a new login can start at once.
 */
export function clearUser(data: { user?: SessionUser; authenticatedAt?: number }): void {
  delete data.user;
  delete data.authenticatedAt;
}

/** At most this many logins in progress per browser; the oldest is dropped first. */
const MAX_PENDING_LOGINS = 5;

export function addPendingLogin(
  current: Record<string, PendingLogin> | undefined,
  login: PendingLogin,
  now: number,
): Record<string, PendingLogin> {
  const alive = Object.values(current ?? {})
    .filter((p) => p.expiresAt > now)
    .sort((a, b) => a.createdAt - b.createdAt)
    .slice(-(MAX_PENDING_LOGINS - 1));
  return Object.fromEntries([...alive, login].map((p) => [p.state, p]));
}

/** The three steps of a login as the flow inspector shows them. */
export interface LoginTrace {
  readonly authorize: {
    readonly at: number;
    readonly parameters: Readonly<Record<string, string>>;
    /** Present when the parameters were pushed (RFC 9126) rather than carried by the browser. */
    readonly pushed?: PushedRequest;
  };
  readonly callback: { readonly at: number; readonly checks: readonly string[] };
  readonly token: {
    readonly at: number;
    readonly tokenType: string;
    /** The DPoP key's thumbprint (RFC 9449 `cnf.jkt`) when the tokens are bound to one. */
    readonly dpopJkt?: string;
    readonly lifetimeSeconds: number;
    readonly scope: string;
    readonly refreshToken: boolean;
    readonly idToken: boolean;
  };
}

export function loginTrace(login: PendingLogin, outcome: CallbackOutcome, now: number): LoginTrace {
  return {
    authorize: { at: login.createdAt, parameters: login.sentParameters, ...(login.pushed && { pushed: login.pushed }) },
    callback: { at: now, checks: outcome.checks },
    token: {
      at: now,
      tokenType: outcome.tokens.tokenType,
      ...(outcome.tokens.dpopKey && { dpopJkt: outcome.tokens.dpopKey.jkt }),
      lifetimeSeconds: outcome.tokens.lifetimeSeconds,
      scope: outcome.tokens.scope ?? '',
      refreshToken: outcome.tokens.refreshToken !== undefined,
      idToken: outcome.tokens.idToken !== undefined,
    },
  };
}

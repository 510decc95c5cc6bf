/**
 * What a session holds: the pending logins, the user's claims and timestamps.
 * Never tokens: those live in the token store (see token-store.ts).
 */
import type { PendingLogin } from '../oidc/login.js';

export interface SessionUser {
  readonly sub: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
  /** ID token claims (iss, aud, auth_time, …), kept for the profile page. */
  readonly claims: Readonly<Record<string, unknown>>;
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

/** At most this many logins in progress per browser; the oldest is dropped first. */
export const MAX_PENDING_LOGINS = 5;

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

/**
 * How long before an access token expires we get a new one: the one rule for
 * the user's tokens (refresh_token grant, src/tokens/token-service.ts) and for
 * the app's own machine-to-machine tokens (client credentials, src/m2m/).
 *
 * Both renew early so that a token never expires on its way to the API: the
 * request takes time, and the API's clock may run ahead of ours (`expires_in`
 * is counted from the response, RFC 6749 §5.1). Both cap the margin at a
 * quarter of the lifetime, so a short-lived token is still used for three
 * quarters of its life instead of being renewed on every call (providers
 * rate-limit their token endpoint).
 *
 * The two differ in what a failed renewal costs:
 * - `user`, 30 s: one token per session, refreshed on that user's request. If
 *   the provider cannot refresh it, the still-valid token is used and the
 *   refresh is retried after a backoff (token-service.ts; a refused refresh
 *   token ends the login); the margin only has to cover the trip to the API.
 * - `client`, 60 s: one token shared by every server-to-server call (and, with
 *   Redis, every instance). A failed renewal is retried while the still-valid
 *   token keeps being served, so the margin is also how long the provider may
 *   be down before the calls fail: a longer one buys more retries.
 */

import type { TokenSet } from '../oidc/tokens.js';

const MAX_MARGIN_SECONDS = { user: 30, client: 60 } as const;

/** The kind of token: a user's (authorization code + refresh) or the app's own (client credentials). */
export type TokenKind = keyof typeof MAX_MARGIN_SECONDS;

/** Milliseconds before expiry at which a token of `lifetimeSeconds` is renewed. */
export function refreshMarginMs(lifetimeSeconds: number, kind: TokenKind): number {
  return Math.min(MAX_MARGIN_SECONDS[kind], lifetimeSeconds / 4) * 1000;
}

/** True when a user's access token (any API's) is within its refresh margin of expiry (or past it). */
export function needsRefresh(tokens: Pick<TokenSet, 'expiresAt' | 'lifetimeSeconds'>, now: number): boolean {
  return now >= tokens.expiresAt - refreshMarginMs(tokens.lifetimeSeconds, 'user');
}

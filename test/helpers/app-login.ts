/** Logging in to the app through the real embedded provider, and reading the session behind a cookie. */
import assert from 'node:assert/strict';
import type session from 'express-session';
import * as client from 'openid-client';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import type { TokenSet } from '../../src/oidc/tokens.js';
import type { Browser } from './browser.js';
import { parseForm } from './html-forms.js';
import { loginAtProvider } from './provider-login.js';
import { sessionGet, sessionSet } from './session-store.js';
import type { Stack } from './stack.js';

export const ALICE = DEMO_ACCOUNTS[0] as DemoAccount;
export const BOB = DEMO_ACCOUNTS[1] as DemoAccount;

/** Logs in from `/login?returnTo=…` and returns the app's final redirect target. */
export async function logIn(
  stack: Stack,
  browser: Browser,
  account: DemoAccount = ALICE,
  returnTo?: string,
  extraQuery: Record<string, string> = {},
): Promise<string> {
  const query = new URLSearchParams(extraQuery);
  if (returnTo !== undefined) query.set('returnTo', returnTo);
  const start = `${stack.appUrl}/login${query.size > 0 ? `?${query}` : ''}`;
  const result = await loginAtProvider(browser, start, { login: account.login, password: account.password });
  const callback = result.urls.find((u) => u.startsWith(`${stack.appUrl}/callback`));
  assert.ok(callback, `the provider sent the browser back to the callback (visited: ${result.urls.join(' → ')})`);
  const last = result.urls.at(-1) ?? '';
  return last.startsWith(stack.appUrl) ? last.slice(stack.appUrl.length) || '/' : last;
}

/** The session id inside the signed `sid` cookie (`s:<id>.<signature>`). */
export function sessionIdOf(browser: Browser, stack: Stack): string | undefined {
  const raw = browser.cookie(stack.appUrl, stack.config.session.cookieName);
  if (!raw) return undefined;
  const match = /^s:([^.]+)\./.exec(decodeURIComponent(raw));
  return match?.[1];
}

export async function tokensOf(browser: Browser, stack: Stack): Promise<TokenSet | undefined> {
  const id = sessionIdOf(browser, stack);
  return id ? stack.services.tokens.peek(id) : undefined;
}

/** Moves the login time back, as if the login were `ageSeconds` old (the absolute lifetime counts from it). */
export async function ageLogin(stack: Stack, browser: Browser, ageSeconds: number): Promise<void> {
  const sid = sessionIdOf(browser, stack) ?? '';
  const store = stack.services.sessionStore;
  const data = await sessionGet(store, sid);
  await sessionSet(store, sid, { ...data, authenticatedAt: Date.now() - ageSeconds * 1000 } as session.SessionData);
}

/** Makes the session's access token look expired to the app without waiting. */
export async function expireAccessToken(stack: Stack, sessionId: string): Promise<void> {
  const tokens = await stack.services.tokens.peek(sessionId);
  assert.ok(tokens);
  // Saving needs a higher version; keep the same tokens, only the expiry changes.
  await stack.services.tokens.saveLogin(sessionId, {
    ...tokens,
    expiresAt: Date.now() - 1000,
    version: tokens.version + 1,
  });
}

/** How many refresh-token grants the embedded provider has answered so far. */
export function refreshGrants(stack: Stack): number {
  return stack.provider.stats.grants.refresh_token ?? 0;
}

/** The form token of the logout form on `GET /logout`, as the browser would submit it. */
export async function logoutFormToken(browser: Browser, stack: Stack): Promise<string> {
  const page = await browser.text(await browser.get(`${stack.appUrl}/logout`));
  return parseForm(page, (form) => form.action === '/logout').fields['csrf'] ?? '';
}

/** Calls the app's /api proxy the way the pages' scripts do. */
export function apiCall(browser: Browser, stack: Stack, path: string, init: RequestInit = {}): Promise<Response> {
  return browser.request(`${stack.appUrl}/api${path}`, {
    ...init,
    headers: { 'X-CSRF': '1', Accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
}

/** Whether the provider still honours this refresh token (RFC 6749 §6): false once it is revoked. */
export async function refreshTokenWorks(stack: Stack, refreshToken: string): Promise<boolean> {
  try {
    await client.refreshTokenGrant(stack.services.provider.get(), refreshToken);
    return true;
  } catch (err) {
    if (err instanceof client.ResponseBodyError && err.error === 'invalid_grant') return false;
    throw err;
  }
}

/** The provider's names for a browser's login (`sub`, `sid`), read from its ID token. */
export async function loginNamesOf(browser: Browser, stack: Stack): Promise<{ sub: string; sid: string }> {
  const idToken = (await tokensOf(browser, stack))?.idToken ?? '';
  const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, string>;
  assert.ok(claims.sub && claims.sid, 'the ID token carries sub and sid');
  return { sub: claims.sub, sid: claims.sid };
}

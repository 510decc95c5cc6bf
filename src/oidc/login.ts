/**
 * Building the authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
 *
 * Rules enforced here:
 * - `response_type=code` only: no implicit flow (RFC 9700 §2.1.2).
 * - PKCE with S256 on every request even though we are a confidential client:
 *   it stops authorization code injection (RFC 9700 §2.1.1, RFC 7636 §4.2).
 * - `state` always, even with PKCE: it binds the callback to the browser that
 *   started the login (RFC 6749 §10.12) and lets us find the transaction.
 * - `nonce` binds the ID token to this transaction (OIDC Core §3.1.2.1).
 * - `redirect_uri` comes from configuration, never from request headers
 *   (RFC 9700 §4.13).
 * - Visitor-supplied parameters pass only through an allowlist.
 */
import * as client from 'openid-client';
import type { OidcConfig } from '../config/config.js';
import { safeReturnTo } from './return-to.js';

/** What we remember between `/login` and `/callback`; single-use, expiring. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The parameters sent, for the flow inspector (no secrets: the verifier is not among them). */
  readonly sentParameters: Record<string, string>;
}

/** Query parameters a visitor may pass through `/login?…` to the provider, and their shape. */
const PASS_THROUGH: Record<string, RegExp> = {
  // Auth0 Organizations: `organization` and `invitation`
  // (https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members).
  organization: /^[\w.-]{1,128}$/,
  invitation: /^[\w.-]{1,256}$/,
  // OIDC Core §3.1.2.1.
  prompt: /^(none|login|consent|select_account|create)( (login|consent|select_account))*$/,
  login_hint: /^[^\u0000-\u001f\u007f]{1,256}$/,
};

export function pickPassThroughParameters(query: Record<string, unknown>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, pattern] of Object.entries(PASS_THROUGH)) {
    const value = query[name];
    if (typeof value === 'string' && pattern.test(value)) picked[name] = value;
  }
  return picked;
}

export interface StartLoginInput {
  readonly returnTo: unknown;
  readonly passThrough: Record<string, string>;
  readonly now: number;
}

export async function startLogin(
  configuration: client.Configuration,
  settings: OidcConfig,
  redirectUri: string,
  input: StartLoginInput,
): Promise<{ url: URL; pending: PendingLogin }> {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);

  const parameters: Record<string, string> = {
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: settings.scope,
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
  // Auth0 names the API with `audience`; RFC 8707 providers (Logto, oidc-provider) with `resource`.
  if (settings.audience) parameters.audience = settings.audience;
  if (settings.resource) parameters.resource = settings.resource;
  // OIDC Core §11: some providers issue a refresh token for offline_access only after explicit consent.
  if (settings.prompt) parameters.prompt = settings.prompt;
  Object.assign(parameters, input.passThrough);

  const url = client.buildAuthorizationUrl(configuration, parameters);
  const pending: PendingLogin = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(input.returnTo),
    createdAt: input.now,
    expiresAt: input.now + settings.loginTimeoutSeconds * 1000,
    sentParameters: Object.fromEntries(url.searchParams),
  };
  return { url, pending };
}

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
 * - Visitor-supplied parameters pass only through an allowlist; a visitor's
 *   `prompt` is merged with the configured one, never replacing it (Logto needs
 *   `consent` for a refresh token even when the visitor asks for `login`).
 * - A fixed organization (OIDC_ORGANIZATION) cannot be swapped by a link.
 * - `ui_locales` carries the visitor's language to the provider's pages (OIDC Core §3.1.2.1):
 *   our language cookie never reaches the provider's origin.
 * - With pushed authorization requests (RFC 9126) the parameters go to the
 *   provider server to server, authenticated as the client; the browser's URL
 *   carries only `client_id` and `request_uri`, so nothing in it can be read
 *   or altered on the way (RFC 9126 §1, FAPI 2.0 Security Profile §5.3.1.2).
 */
import * as client from 'openid-client';
import type { DownstreamApi, OidcConfig, ParMode } from '../config/config.js';
import {
  ClientAuthenticationError,
  isClientAuthenticationFailure,
  isProviderOutage,
  LoginError,
  ProviderUnavailableError,
} from '../errors.js';
import { takePushedRequestLifetime } from './pushed-request.js';
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
  /** The Auth0 organization asked for; the ID token must name it (id-token-checks.ts). */
  readonly organization?: string;
  /** With PAR: the provider's reference to the pushed request and its lifetime (RFC 9126 §2.2), for the flow inspector. */
  readonly pushed?: PushedRequest;
}

/** The answer to a pushed authorization request (RFC 9126 §2.2). */
export interface PushedRequest {
  /** The one-time reference the browser carried to the provider instead of the parameters. */
  readonly requestUri: string;
  /** Seconds the provider keeps the pushed request; undefined when its answer did not say. */
  readonly expiresIn?: number;
}

/** Query parameters a visitor may pass through `/login?…` to the provider, and their shape. */
const PASS_THROUGH: Record<string, RegExp> = {
  // Auth0 Organizations: an invitation link carries both; `organization_name` needs no forwarding.
  // https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members
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
  /** Every configured API: the login asks for the scopes and resources of those that get user tokens. */
  readonly apis?: readonly DownstreamApi[];
  /** The visitor's language (a BCP 47 tag), for the provider's login and consent pages. */
  readonly uiLocales?: string;
}

/**
 * One login for every API that gets the user's token: their scopes join `OIDC_SCOPE`, and each
 * one named by `resource` is listed, since RFC 8707 §2.1 allows several at /authorize and a
 * refresh token can only mint tokens for resources granted there (§2.2). Auth0 takes a single
 * `audience` at /authorize (the default API's); its other APIs come by refresh-token policy.
 */
export function loginTargets(
  settings: Pick<OidcConfig, 'scope' | 'resource'>,
  apis: readonly DownstreamApi[],
): { scope: string; resources: string[] } {
  const userApis = apis.filter((api) => api.token !== 'client');
  const scopes = [settings.scope, ...userApis.map((api) => api.scope ?? '')].flatMap((s) => s.split(' '));
  const resources = [settings.resource, ...userApis.map((api) => api.resource)].filter((r): r is string => !!r);
  return { scope: [...new Set(scopes.filter(Boolean))].join(' '), resources: [...new Set(resources)] };
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

  const targets = loginTargets(settings, input.apis ?? []);
  const parameters: Record<string, string> = {
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: targets.scope,
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
  // Auth0 names the API with `audience`; RFC 8707 providers (Logto, oidc-provider) with `resource`.
  if (settings.audience) parameters.audience = settings.audience;
  const [firstResource, ...moreResources] = targets.resources;
  if (firstResource) parameters.resource = firstResource;
  // Static provider-specific parameters (Google's access_type=offline); config refuses protocol names.
  Object.assign(parameters, settings.authorizationParams);
  const { prompt: requestedPrompt, organization: requestedOrganization, ...passThrough } = input.passThrough;
  Object.assign(parameters, passThrough);
  // OIDC Core §11: some providers issue a refresh token for offline_access only after explicit consent.
  const prompt = mergePrompts(settings.prompt, requestedPrompt);
  if (prompt) parameters.prompt = prompt;
  const organization = chooseOrganization(settings.organization, requestedOrganization);
  if (organization) parameters.organization = organization;
  // A provider that does not support it ignores it (RFC 6749 §3.1: unrecognized parameters are ignored).
  if (input.uiLocales) parameters.ui_locales = input.uiLocales;

  const search = new URLSearchParams(parameters);
  for (const resource of moreResources) search.append('resource', resource);
  const pushed = usePushedAuthorizationRequest(configuration.serverMetadata(), settings.par);
  const url = pushed
    ? await pushAuthorizationRequest(configuration, search)
    : client.buildAuthorizationUrl(configuration, search);
  const pending: PendingLogin = {
    state,
    nonce,
    codeVerifier,
    returnTo: safeReturnTo(input.returnTo),
    createdAt: input.now,
    expiresAt: input.now + settings.loginTimeoutSeconds * 1000,
    // With PAR the browser's URL holds only a reference; the inspector shows what was pushed.
    sentParameters: {
      ...(pushed
        ? { client_id: configuration.clientMetadata().client_id, ...parameters }
        : Object.fromEntries(url.searchParams)),
      // Several resources: shown as one space-separated value.
      ...(moreResources.length > 0 && { resource: targets.resources.join(' ') }),
    },
    ...(organization && { organization }),
    ...(pushed && { pushed: pushedRequest(configuration, url) }),
  };
  return { url, pending };
}

/**
 * Whether this login pushes its parameters (RFC 9126). `auto` follows the provider's metadata
 * (§5: `pushed_authorization_request_endpoint`, and `require_pushed_authorization_requests`
 * which makes a plain request fail); `off` against a provider that requires PAR would only
 * fail at the provider, so it fails here with a message that names the setting.
 */
function usePushedAuthorizationRequest(metadata: client.ServerMetadata, mode: ParMode): boolean {
  const offered = typeof metadata.pushed_authorization_request_endpoint === 'string';
  const required = metadata.require_pushed_authorization_requests === true;
  if (mode === 'off' && required) {
    throw new LoginError('par_required', 'errors:message.par_required');
  }
  if (mode === 'on' && !offered) {
    throw new LoginError('par_not_offered', 'errors:message.par_not_offered');
  }
  return mode === 'on' || (mode === 'auto' && offered);
}

/** POSTs the parameters to the PAR endpoint (client authentication included) and returns the short URL. */
async function pushAuthorizationRequest(
  configuration: client.Configuration,
  parameters: URLSearchParams,
): Promise<URL> {
  try {
    return await client.buildAuthorizationUrlWithPAR(configuration, parameters);
  } catch (err) {
    if (isProviderOutage(err)) throw new ProviderUnavailableError(err);
    // PAR is the login's first authenticated call: a wrong key or secret shows up here.
    if (isClientAuthenticationFailure(err)) throw new ClientAuthenticationError({ cause: err });
    const error = err instanceof client.ResponseBodyError ? err.error : undefined;
    throw new LoginError('par_refused', 'errors:message.par_refused', {
      cause: err,
      ...(error && { details: { error } }),
    });
  }
}

/** What the provider answered to the push: the `request_uri` in the URL and its `expires_in`. */
function pushedRequest(configuration: client.Configuration, url: URL): PushedRequest {
  const requestUri = url.searchParams.get('request_uri') ?? '';
  const expiresIn = takePushedRequestLifetime(configuration, requestUri);
  return { requestUri, ...(expiresIn !== undefined && { expiresIn }) };
}

/**
 * The configured prompt plus the visitor's (OIDC Core §3.1.2.1: a space-separated list). `none`
 * cannot be combined with anything, so a visitor's `none` stands alone.
 */
export function mergePrompts(configured: string | undefined, requested: string | undefined): string | undefined {
  const words = (value: string | undefined): string[] => (value ?? '').split(' ').filter(Boolean);
  if (words(requested).includes('none')) return 'none';
  const merged = [...new Set([...words(requested), ...words(configured)])];
  return merged.length > 0 ? merged.join(' ') : undefined;
}

function chooseOrganization(configured: string | undefined, requested: string | undefined): string | undefined {
  if (configured && requested && requested !== configured) {
    throw new LoginError('organization_not_allowed', 'errors:message.organization_not_allowed');
  }
  return configured ?? requested;
}

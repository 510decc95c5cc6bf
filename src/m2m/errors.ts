/**
 * What goes wrong when the app asks for its own token, as one typed error with
 * a stable code, and the mapping from whatever openid-client or the network
 * threw to that error.
 *
 * - The provider down, 5xx, `server_error`, `temporarily_unavailable` and 429
 *   are 503 `m2m_provider_unavailable` with `Retry-After`: trying again later helps.
 * - Every OAuth error of the token endpoint (RFC 6749 §5.2) that a setting can
 *   fix is a 502 whose message names the setting to check.
 * - Neither the message, the details nor the `cause` carry the client secret
 *   (scrubbed in every encoding) or the library's response objects.
 */
import * as client from 'openid-client';
import type { ClientAuthMethod } from '../config/config.js';
import { AppError, errorSummary, isProviderOutage } from '../errors.js';
import { secretScrubber } from './scrub.js';

/** Stable codes of {@link M2mTokenError}. */
export type M2mErrorCode =
  | 'm2m_invalid_client'
  | 'm2m_unauthorized_client'
  | 'm2m_invalid_scope'
  | 'm2m_invalid_target'
  | 'm2m_provider_unavailable'
  | 'm2m_failed';

/**
 * A token could not be had. `code` is stable; `message` is safe to show and
 * never contains the client secret; `details.error` is the provider's OAuth
 * error code (RFC 6749 §5.2) when there was one.
 */
export class M2mTokenError extends AppError {
  declare readonly code: M2mErrorCode;
  /** The provider's OAuth error code, if it sent one. */
  readonly oauthError: string | undefined;

  constructor(
    status: 502 | 503,
    code: M2mErrorCode,
    message: string,
    options: { oauthError?: string | undefined; cause?: Error; details?: Record<string, string> } = {},
  ) {
    super(status, code, message, {
      cause: options.cause,
      details: options.details ?? {},
      ...(status === 503 ? { headers: { 'Retry-After': '5' } } : {}),
    });
    this.name = 'M2mTokenError';
    this.oauthError = options.oauthError;
  }
}

/** Marks a failure of discovery (vs. of the token request) for {@link toM2mTokenError}. */
export class DiscoveryFailure extends Error {
  constructor(readonly original: unknown) {
    super('discovery failed');
  }
}

/** The client whose token request failed: what the messages name, and the secret to scrub. */
export interface FailedClient {
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  readonly authMethod: ClientAuthMethod;
}

/** Translates a failed discovery (wrapped in {@link DiscoveryFailure}) or token request into an M2mTokenError. */
export function toM2mTokenError(err: unknown, who: FailedClient): M2mTokenError {
  const scrub = secretScrubber(who.clientId, who.clientSecret ?? '');
  const discovery = err instanceof DiscoveryFailure;
  const original = discovery ? err.original : err;
  // The cause is rebuilt as a one-line description: the library's error objects
  // hold responses and request details we do not want to carry around.
  const cause = new Error(scrub(errorSummary(original)));
  const base = { issuer: who.issuer.href };

  if (isProviderOutage(original)) {
    return new M2mTokenError(
      503,
      'm2m_provider_unavailable',
      `The identity provider at ${who.issuer.origin} could not be reached for a machine-to-machine token. Try again shortly.`,
      { cause, details: base },
    );
  }
  if (discovery) {
    return new M2mTokenError(
      502,
      'm2m_failed',
      `Discovery of ${who.issuer.href} failed (${cause.message}). Check M2M_ISSUER.`,
      {
        cause,
        details: base,
      },
    );
  }

  const { oauthError, description, status } = oauthErrorOf(original);
  const details: Record<string, string> = { ...base };
  if (oauthError) details['error'] = scrub(oauthError).slice(0, 100);
  if (description) details['description'] = scrub(description).slice(0, 300);
  const said = oauthError ? ` (${details['error']}${description ? `: ${details['description']}` : ''})` : '';
  const options = { oauthError, cause, details };

  switch (oauthError) {
    case 'invalid_client':
      return new M2mTokenError(
        502,
        'm2m_invalid_client',
        `The identity provider did not accept the M2M client credentials${said}. Check M2M_CLIENT_ID, ${who.authMethod === 'private_key_jwt' ? 'the public key registered for the client (the app signs with OIDC_CLIENT_PRIVATE_KEY)' : 'M2M_CLIENT_SECRET'} and M2M_AUTH_METHOD (this app sends ${who.authMethod}).`,
        options,
      );
    case 'unauthorized_client':
    case 'access_denied': // Auth0: the application is not authorized for this API
      return new M2mTokenError(
        502,
        'm2m_unauthorized_client',
        `The M2M client may not get this token${said}. Allow the client credentials grant for the client and authorize it for the API (Auth0: APIs → Machine to Machine Applications; Logto: assign an M2M role).`,
        options,
      );
    case 'invalid_scope':
      return new M2mTokenError(
        502,
        'm2m_invalid_scope',
        `The identity provider refused the requested scope${said}. Check M2M_SCOPE against the permissions granted to the client.`,
        options,
      );
    case 'invalid_target': // RFC 8707 §2
      return new M2mTokenError(
        502,
        'm2m_invalid_target',
        `The identity provider does not know the requested API${said}. Check M2M_AUDIENCE (Auth0) or M2M_RESOURCE (RFC 8707).`,
        options,
      );
    case 'server_error':
    case 'temporarily_unavailable':
      return new M2mTokenError(
        503,
        'm2m_provider_unavailable',
        `The identity provider failed to issue a machine-to-machine token${said}. Try again shortly.`,
        options,
      );
    default:
      if (status === 429) {
        // Providers rate-limit the token endpoint: exactly what the cache is for.
        return new M2mTokenError(
          503,
          'm2m_provider_unavailable',
          `The identity provider is rate-limiting token requests${said}. Try again shortly.`,
          options,
        );
      }
      return new M2mTokenError(
        502,
        'm2m_failed',
        `The machine-to-machine token request failed${said || ` (${cause.message})`}.`,
        options,
      );
  }
}

/** The OAuth error (RFC 6749 §5.2) behind an openid-client error, and the HTTP status it came with. */
function oauthErrorOf(err: unknown): { oauthError?: string; description?: string; status: number } {
  if (err instanceof client.ResponseBodyError) {
    return { oauthError: err.error, description: err.error_description, status: err.status };
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a 401 invalid_client comes with WWW-Authenticate when Basic was used.
    const challenge = err.cause.find((c) => c.parameters.error) ?? err.cause[0];
    void err.response.body?.cancel().catch(() => undefined);
    return {
      oauthError: challenge?.parameters.error ?? (err.status === 401 ? 'invalid_client' : undefined),
      description: challenge?.parameters.error_description,
      status: err.status,
    };
  }
  return { status: 0 };
}

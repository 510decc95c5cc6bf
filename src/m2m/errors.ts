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
import type { MessageValues } from '../i18n/catalogues.js';
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
    messageKey: string,
    options: {
      oauthError?: string | undefined;
      cause?: Error;
      details?: Record<string, string>;
      values?: MessageValues;
    } = {},
  ) {
    super(status, code, messageKey, {
      cause: options.cause,
      values: options.values ?? {},
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
    return new M2mTokenError(503, 'm2m_provider_unavailable', 'errors:m2m.provider_unreachable', {
      cause,
      details: base,
      values: { origin: who.issuer.origin },
    });
  }
  if (discovery) {
    return new M2mTokenError(502, 'm2m_failed', 'errors:m2m.discovery_failed', {
      cause,
      details: base,
      values: { issuer: who.issuer.href, reason: cause.message },
    });
  }

  const { oauthError, description, status } = oauthErrorOf(original);
  const details: Record<string, string> = { ...base };
  if (oauthError) details['error'] = scrub(oauthError).slice(0, 100);
  if (description) details['description'] = scrub(description).slice(0, 300);
  // What the provider said, quoted in the message: its error code and description.
  const said = oauthError ? `${details['error']}${description ? `: ${details['description']}` : ''}` : '';
  const options = { oauthError, cause, details, values: { reason: said, method: who.authMethod } };

  switch (oauthError) {
    case 'invalid_client':
      return new M2mTokenError(
        502,
        'm2m_invalid_client',
        who.authMethod === 'private_key_jwt' ? 'errors:m2m.invalid_client_key' : 'errors:m2m.invalid_client_secret',
        options,
      );
    case 'unauthorized_client':
    case 'access_denied': // Auth0: the application is not authorized for this API
      return new M2mTokenError(502, 'm2m_unauthorized_client', 'errors:m2m.unauthorized_client', options);
    case 'invalid_scope':
      return new M2mTokenError(502, 'm2m_invalid_scope', 'errors:m2m.invalid_scope', options);
    case 'invalid_target': // RFC 8707 §2
      return new M2mTokenError(502, 'm2m_invalid_target', 'errors:m2m.invalid_target', options);
    case 'server_error':
    case 'temporarily_unavailable':
      return new M2mTokenError(503, 'm2m_provider_unavailable', 'errors:m2m.provider_failed', options);
    default:
      if (status === 429) {
        // Providers rate-limit the token endpoint: exactly what the cache is for.
        return new M2mTokenError(503, 'm2m_provider_unavailable', 'errors:m2m.rate_limited', {
          ...options,
          values: { reason: said || `HTTP ${status}` },
        });
      }
      return new M2mTokenError(502, 'm2m_failed', 'errors:m2m.token_failed', {
        ...options,
        values: { reason: said || cause.message },
      });
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

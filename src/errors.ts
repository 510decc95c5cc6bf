/**
 * Typed errors with a stable `code` and an HTTP `status`.
 *
 * Services throw these; `web/error-handler.ts` alone decides what the
 * visitor sees. Only `publicMessage` is ever shown: `message` and `cause` may
 * hold details for the logs, never a token or a secret.
 */
import * as client from 'openid-client';

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra response headers, e.g. `Retry-After` on a 503. */
  headers?: Record<string, string>;
  /** Extra fields shown on the page / in the JSON (already safe to display). */
  details?: Record<string, string>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly publicMessage: string;
  readonly headers: Record<string, string>;
  readonly details: Record<string, string>;

  constructor(status: number, code: string, publicMessage: string, options: AppErrorOptions = {}) {
    super(publicMessage, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.publicMessage = publicMessage;
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }
}

/** The callback could not be accepted (state, parameters, token exchange). */
export class LoginError extends AppError {
  constructor(code: string, publicMessage: string, options: AppErrorOptions = {}) {
    super(400, code, publicMessage, options);
    this.name = 'LoginError';
  }
}

/**
 * The provider refused the app's own credentials at a back-channel endpoint (`invalid_client`,
 * RFC 6749 §5.2): a wrong secret, a key the provider does not have, a method it was not registered
 * for. A fault of the deployment, not of the visitor: nothing they do fixes it, so 502.
 */
export class ClientAuthenticationError extends AppError {
  constructor(options: AppErrorOptions = {}) {
    super(
      502,
      'client_authentication_failed',
      "The identity provider did not accept this app's credentials (invalid_client). Check OIDC_CLIENT_ID, OIDC_AUTH_METHOD and the client secret or the public key registered for the client.",
      options,
    );
    this.name = 'ClientAuthenticationError';
  }
}

/** Whether the provider answered `invalid_client` (RFC 6749 §5.2). */
export function isClientAuthenticationFailure(err: unknown): boolean {
  return err instanceof client.ResponseBodyError && err.error === 'invalid_client';
}

/** What a visitor should read for the common provider errors (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const PROVIDER_ERROR_MESSAGES: Record<string, string> = {
  access_denied:
    'The request was declined at the identity provider, so the app did not get access. You can try again whenever you like.',
  login_required: 'The identity provider needs you to sign in again.',
  consent_required: 'The identity provider needs your consent before the app can continue.',
  interaction_required: 'The identity provider needs you to complete a step on its pages.',
  temporarily_unavailable: 'The identity provider is temporarily unavailable. Please try again in a moment.',
  server_error: 'The identity provider ran into a problem. Please try again in a moment.',
};

/** The provider answered the authorization request with an error (RFC 6749 §4.1.2.1). */
export class ProviderAuthorizationError extends AppError {
  constructor(error: string, description: string | undefined) {
    super(
      400,
      'provider_error',
      PROVIDER_ERROR_MESSAGES[error] ?? 'The identity provider did not complete the sign-in.',
      {
        details: { error, ...(description ? { description } : {}) },
      },
    );
    this.name = 'ProviderAuthorizationError';
  }
}

/** No usable login: pages redirect to /login, API calls get 401 JSON. */
export class LoginRequiredError extends AppError {
  constructor(publicMessage = 'You need to log in.') {
    super(401, 'login_required', publicMessage);
    this.name = 'LoginRequiredError';
  }
}

/** The identity provider cannot be reached or is not ready. */
export class ProviderUnavailableError extends AppError {
  constructor(cause?: unknown, retryAfterSeconds = 5) {
    super(
      503,
      'provider_unavailable',
      'The identity provider is not reachable right now. Please try again in a moment.',
      {
        cause,
        headers: { 'Retry-After': String(retryAfterSeconds) },
      },
    );
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * The provider did not answer within `OIDC_TIMEOUT_SECONDS`. At the code
 * exchange this is final: the code may already be spent (codes are single-use,
 * RFC 6749 §4.1.2), so the request is never repeated and the visitor signs in again.
 */
export class ProviderTimeoutError extends AppError {
  constructor(cause?: unknown) {
    super(
      504,
      'provider_timeout',
      'The identity provider did not answer in time, so the sign-in could not be completed. Please sign in again.',
      { cause },
    );
    this.name = 'ProviderTimeoutError';
  }
}

/** True when `test` holds for the error or anything in its `cause` chain. */
function someCause(err: unknown, test: (e: Error) => boolean): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (test(e)) return true;
  return false;
}

/** A timeout: AbortSignal.timeout's `TimeoutError` or openid-client's `OAUTH_TIMEOUT`. */
function timedOut(e: Error): boolean {
  return e.name === 'TimeoutError' || (e as { code?: unknown }).code === 'OAUTH_TIMEOUT';
}

/** True for a timeout anywhere in the error's cause chain (openid-client's OAUTH_TIMEOUT, AbortSignal.timeout). */
export function isTimeout(err: unknown): boolean {
  return someCause(err, timedOut);
}

/** The session store cannot be reached. */
export class SessionStoreUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(503, 'session_store_unavailable', 'Sessions are temporarily unavailable. Please try again in a moment.', {
      cause,
      headers: { 'Retry-After': '5' },
    });
    this.name = 'SessionStoreUnavailableError';
  }
}

/** The API call lacks the `X-CSRF: 1` header (see web/csrf.ts for why it proves a same-site caller). */
export class CsrfHeaderMissingError extends AppError {
  constructor() {
    super(403, 'csrf_header_missing', 'API calls must carry the header "X-CSRF: 1".');
    this.name = 'CsrfHeaderMissingError';
  }
}

/** A form post failed the same-origin or form-token check (web/csrf.ts). */
export class CsrfCheckFailedError extends AppError {
  constructor() {
    super(403, 'csrf_check_failed', 'This form was not submitted from this site, or it has expired. Please try again.');
    this.name = 'CsrfCheckFailedError';
  }
}

/** A client went over its request budget (web/rate-limit.ts). */
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Too many requests. Please wait a minute and try again.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
    this.name = 'RateLimitedError';
  }
}

/** One line for the logs about any failure: provider error code, errno code, message. Never a token. */
export function errorSummary(err: unknown): string {
  if (err instanceof client.ResponseBodyError) return `${err.error} (HTTP ${err.status})`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`.slice(0, 300);
  }
  return 'unknown error';
}

/** True when the provider could not be reached or did not answer in time (as opposed to answering with an error). */
export function isNetworkError(err: unknown): boolean {
  return someCause(
    err,
    (e) =>
      timedOut(e) ||
      e.name === 'AbortError' ||
      (e as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_JSON' ||
      // fetch() wraps socket errors: TypeError('fetch failed') with the errno in `cause`.
      (e instanceof TypeError && e.message === 'fetch failed'),
  );
}

/**
 * True when the provider is down rather than saying no: it could not be
 * reached, did not answer in time, or answered 5xx (with an OAuth error body,
 * or with anything else: openid-client then reports a non-conforming
 * response whose `cause` is the HTTP response).
 */
export function isProviderOutage(err: unknown): boolean {
  return (
    isNetworkError(err) ||
    someCause(err, (e) => {
      if (e instanceof client.ResponseBodyError) return e.status >= 500;
      if (!(e.cause instanceof Response)) return false;
      void e.cause.body?.cancel().catch(() => undefined); // Nobody reads it: let the connection go.
      return e.cause.status >= 500;
    })
  );
}

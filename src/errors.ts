/**
 * Typed errors with a stable `code` and an HTTP `status`.
 *
 * Services throw these; `web/error-handler.ts` alone decides what the
 * visitor sees. What a person reads is a catalogue message
 * (`locales/<language>/errors.json`), named by `messageKey` with its
 * `messageValues`, written in the visitor's language by `describe(t)`;
 * `publicMessage` is its English text, for the logs and the CLI. `cause` may
 * hold details for the logs, never a token or a secret.
 */
import * as client from 'openid-client';
import { DEFAULT_LANGUAGE } from './i18n/languages.js';
import { translator, type MessageValues, type Translate } from './i18n/catalogues.js';

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra response headers, e.g. `Retry-After` on a 503. */
  headers?: Record<string, string>;
  /** Extra fields shown on the page / in the JSON (already safe to display). */
  details?: Record<string, string>;
  /** Values for the message's placeholders (already safe to display). */
  values?: MessageValues;
}

const english = translator(DEFAULT_LANGUAGE);

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  /** The catalogue key of what a person reads, e.g. `errors:message.not_found`. */
  readonly messageKey: string;
  readonly messageValues: MessageValues;
  /** The message in English: for logs and the CLI. */
  readonly publicMessage: string;
  readonly headers: Record<string, string>;
  readonly details: Record<string, string>;

  constructor(status: number, code: string, messageKey: string, options: AppErrorOptions = {}) {
    const publicMessage = english(messageKey, options.values);
    super(publicMessage, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.messageKey = messageKey;
    this.messageValues = options.values ?? {};
    this.publicMessage = publicMessage;
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }

  /** The message in the language of `t`. */
  describe(t: Translate): string {
    return t(this.messageKey, this.messageValues);
  }
}

/** The callback could not be accepted (state, parameters, token exchange). */
export class LoginError extends AppError {
  constructor(code: string, messageKey: string, options: AppErrorOptions = {}) {
    super(400, code, messageKey, options);
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
    super(502, 'client_authentication_failed', 'errors:message.client_authentication_failed', options);
    this.name = 'ClientAuthenticationError';
  }
}

/** Whether the provider answered `invalid_client` (RFC 6749 §5.2). */
export function isClientAuthenticationFailure(err: unknown): boolean {
  return err instanceof client.ResponseBodyError && err.error === 'invalid_client';
}

/** The common provider errors a visitor gets a message of their own for (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const PROVIDER_ERRORS_EXPLAINED = new Set([
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'temporarily_unavailable',
  'server_error',
]);

/** The provider answered the authorization request with an error (RFC 6749 §4.1.2.1). */
export class ProviderAuthorizationError extends AppError {
  constructor(error: string, description: string | undefined) {
    super(
      400,
      'provider_error',
      PROVIDER_ERRORS_EXPLAINED.has(error) ? `errors:message.provider_${error}` : 'errors:message.provider_error',
      {
        details: { error, ...(description ? { description } : {}) },
      },
    );
    this.name = 'ProviderAuthorizationError';
  }
}

/** No usable login: pages redirect to /login, API calls get 401 JSON. */
export class LoginRequiredError extends AppError {
  constructor(messageKey = 'errors:message.login_required') {
    super(401, 'login_required', messageKey);
    this.name = 'LoginRequiredError';
  }
}

/** The identity provider cannot be reached or is not ready. */
export class ProviderUnavailableError extends AppError {
  constructor(cause?: unknown, retryAfterSeconds = 5) {
    super(503, 'provider_unavailable', 'errors:message.provider_unavailable', {
      cause,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
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
    super(504, 'provider_timeout', 'errors:message.provider_timeout', { cause });
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
    super(503, 'session_store_unavailable', 'errors:message.session_store_unavailable', {
      cause,
      headers: { 'Retry-After': '5' },
    });
    this.name = 'SessionStoreUnavailableError';
  }
}

/** The API call lacks the `X-CSRF: 1` header (see web/csrf.ts for why it proves a same-site caller). */
export class CsrfHeaderMissingError extends AppError {
  constructor() {
    super(403, 'csrf_header_missing', 'errors:message.csrf_header_missing');
    this.name = 'CsrfHeaderMissingError';
  }
}

/** A form post failed the same-origin or form-token check (web/csrf.ts). */
export class CsrfCheckFailedError extends AppError {
  constructor() {
    super(403, 'csrf_check_failed', 'errors:message.csrf_check_failed');
    this.name = 'CsrfCheckFailedError';
  }
}

/** A client went over its request budget (web/rate-limit.ts). */
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', 'errors:message.rate_limited', {
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

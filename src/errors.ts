/**
 * Typed errors with a stable `code` and an HTTP `status`.
 *
 * Services throw these; `middleware/error-handler.ts` alone decides what the
 * visitor sees. Only `publicMessage` is ever shown: `message` and `cause` may
 * hold details for the logs, never a token or a secret.
 */
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

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

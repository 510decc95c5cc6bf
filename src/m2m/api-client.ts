/**
 * Calls an API with the machine-to-machine token: `fetch` + `Authorization:
 * Bearer` (RFC 6750 §2.1) + a timeout. A DPoP-bound token (M2M_DPOP) goes as
 * `Authorization: DPoP` with a fresh proof of the instance's key per request, and
 * an API's `401 use_dpop_nonce` gets one retry with its nonce (RFC 9449 §7.1, §9),
 * by the same rules as the proxy's (proxy/credentials.ts).
 *
 * A `401` whose challenge says `error="invalid_token"` (RFC 6750 §3.1: expired,
 * revoked, malformed, or signed with a key the API no longer knows) means the
 * cached token is useless even though it has not reached its `expires_in`:
 * it is dropped from the cache and the call is retried ONCE with a new token.
 * Any other answer (403 `insufficient_scope`, 404, 5xx) is returned as is:
 * a new token would not change it.
 *
 * Paths are checked by the same rules as the browser's `/api` proxy
 * (`mapApiTarget`): a path can never leave the configured API origin and prefix.
 */
import { isInvalidTokenChallenge } from '../tokens/bearer-challenge.js';
import { AppError } from '../errors.js';
import type { MessageValues } from '../i18n/catalogues.js';
import type { Logger } from '../logger.js';
import { mapApiTarget } from '../proxy/api-target.js';
import { proofTarget, UpstreamCredentials, type SentCredential } from '../proxy/credentials.js';
import type { BoundM2mToken, ClientCredentialsTokens } from './client.js';
import type { M2mTokenRequest } from './token.js';

/** Options of {@link M2mApiClient}. */
export interface M2mApiClientOptions {
  readonly tokens: ClientCredentialsTokens;
  /** API origin + path prefix, e.g. `config.api.baseUrl`. */
  readonly baseUrl: URL;
  /** Milliseconds each API call may take. Default 10,000. */
  readonly timeoutMs?: number;
  /** Target and scope of the token (default: the configured ones). */
  readonly tokenRequest?: M2mTokenRequest;
  readonly logger?: Logger;
}

/** The API's answer. `body` is parsed JSON when the API said JSON, else text. */
export interface M2mApiResult {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ok: boolean;
  readonly contentType: string;
  readonly body: unknown;
  /** True when the first attempt got `401 invalid_token` and the call was repeated with a new token. */
  readonly retried: boolean;
  readonly durationMs: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Largest response body kept (the CLI and the page show it; nothing here needs more). */
const MAX_BODY_BYTES = 1024 * 1024;

/** The API could not be reached or did not answer in time. */
class M2mApiError extends AppError {
  constructor(
    status: 502 | 504,
    code: 'm2m_api_unavailable' | 'm2m_api_timeout',
    messageKey: string,
    values: MessageValues,
    cause?: unknown,
  ) {
    super(status, code, messageKey, { cause, values });
    this.name = 'M2mApiError';
  }
}

/** Calls one API with the M2M token. */
export class M2mApiClient {
  readonly #options: M2mApiClientOptions;
  /** The Authorization (and DPoP) headers of each attempt, and the API's nonces. */
  readonly #credentials: UpstreamCredentials;

  constructor(options: M2mApiClientOptions) {
    this.#options = options;
    this.#credentials = new UpstreamCredentials(options.tokens.dpopKeys);
  }

  /**
   * `method path` on the API, with an optional JSON body.
   * @throws M2mTokenError (no token), M2mApiError (API unreachable), AppError 400 `invalid_path`/`invalid_method`.
   */
  async call(method: string, path: string, body?: unknown): Promise<M2mApiResult> {
    const verb = method.toUpperCase();
    if (!METHODS.has(verb))
      throw new AppError(400, 'invalid_method', 'errors:m2m.invalid_method', {
        values: { method: method.slice(0, 20) },
      });
    if (!path.startsWith('/')) throw new AppError(400, 'invalid_path', 'errors:m2m.invalid_path');
    const url = mapApiTarget(`/api${path}`, this.#options.baseUrl);
    const started = performance.now();
    const { tokens, tokenRequest } = this.#options;

    let token = await tokens.getBoundToken(tokenRequest);
    let response = await this.#sendOnce(verb, url, token, body);
    let retried = false;
    if (response.status === 401 && isInvalidTokenChallenge(response.headers.get('www-authenticate'))) {
      await response.body?.cancel().catch(() => undefined);
      // RFC 6750 §3.1 invalid_token: this token will not work again; get another, try once more.
      await tokens.invalidate(token.accessToken);
      this.#options.logger?.info(
        { path: url.pathname },
        'the API rejected the m2m token (invalid_token); retrying once with a new one',
      );
      token = await tokens.getBoundToken(tokenRequest);
      response = await this.#sendOnce(verb, url, token, body);
      retried = true;
    }

    const contentType = response.headers.get('content-type') ?? '';
    const text = await readLimited(response);
    let parsed: unknown = text;
    if (/\bjson\b/i.test(contentType) && text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return {
      method: verb,
      path,
      status: response.status,
      ok: response.ok,
      contentType,
      body: parsed,
      retried,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /** One call with `token`, sent a second time only when the API asks for a DPoP nonce (RFC 9449 §9). */
  async #sendOnce(method: string, url: URL, token: BoundM2mToken, body: unknown): Promise<Response> {
    const first = await this.#send(method, url, token, body);
    const sent = first.sent;
    const headers = challengeHeaders(first.response);
    if (first.response.status !== 401 || !this.#credentials.wantsNonceRetry(url.origin, headers, sent)) {
      return first.response;
    }
    await first.response.body?.cancel().catch(() => undefined);
    return (await this.#send(method, url, token, body)).response;
  }

  async #send(
    method: string,
    url: URL,
    token: BoundM2mToken,
    body: unknown,
  ): Promise<{ response: Response; sent: SentCredential }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const sent = await this.#credentials.apply(headers, token, method, proofTarget(url), url.origin);
    const init: RequestInit = {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(url, init);
      // RFC 9449 §9: any answer may carry the API's next nonce.
      this.#credentials.noteNonce(url.origin, challengeHeaders(response));
      return { response, sent };
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError') {
        throw new M2mApiError(504, 'm2m_api_timeout', 'errors:m2m.api_timeout', { origin: url.origin });
      }
      // The error may quote the request (never the token: it is in a header, not the message), keep only the reason.
      const reason = err instanceof Error && err.cause instanceof Error ? err.cause.message : 'network error';
      throw new M2mApiError(502, 'm2m_api_unavailable', 'errors:m2m.api_unreachable', {
        origin: url.origin,
        reason: reason.slice(0, 120),
      });
    }
  }
}

/** The answer's headers the DPoP rules read, in the form the proxy has them. */
function challengeHeaders(response: Response): Record<string, string | undefined> {
  return {
    'www-authenticate': response.headers.get('www-authenticate') ?? undefined,
    'dpop-nonce': response.headers.get('dpop-nonce') ?? undefined,
  };
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new AppError(502, 'm2m_api_response_too_large', 'errors:m2m.response_too_large', {
        values: { size: MAX_BODY_BYTES / 1024 },
      });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

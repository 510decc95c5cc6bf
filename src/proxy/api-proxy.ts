/**
 * The /api proxy: the browser's call goes to the downstream API with the
 * session's access token as the only credential (the BFF pattern,
 * draft-ietf-oauth-browser-based-apps §6.1).
 *
 * - Bodies are streamed both ways, with backpressure; a request body is
 *   buffered only when it is small enough to be replayed (see below).
 * - Timeouts: connecting (new sockets); the answer's head, counted from the
 *   moment the whole request body went out (`API_TIMEOUT_MS`); and silence
 *   between two chunks of the answer (`API_IDLE_TIMEOUT_MS`), so long
 *   downloads, slow uploads and server-sent events live as long as they keep
 *   moving. Time spent waiting for a slow browser to read does not count as
 *   silence. A streamed upload is bounded by the server's own request timeout
 *   (http-server.ts). Refused → 502, timeout → 504, both JSON with a stable
 *   code; an answer already under way is cut. A browser that goes away aborts
 *   the upstream request. Redirects are passed back, never followed.
 * - If the API answers 401 with `error="invalid_token"` (RFC 6750 §3.1) to a
 *   token we believed valid, we refresh once and retry once, only for requests
 *   we can replay: an idempotent method (RFC 9110 §9.2.2; `API_REPLAY_METHODS`)
 *   with no body or a small buffered one. Never a loop.
 * - A DPoP-bound token goes with a fresh proof per request, and an API's
 *   `use_dpop_nonce` answer gets one retry with its nonce (credentials.ts).
 *
 * The HTTP client is undici (the engine of Node's own fetch), driven through
 * its low-level `dispatch` API: one keep-alive pool for the API origin, no
 * per-call streams or promises between the two sockets. It costs less CPU
 * per call than `node:http`'s ClientRequest (docs/benchmark.md).
 *
 * Why this file is long: `UpstreamExchange` is one state machine (request
 * body, head timeout, held-back 401, idle timeout, backpressure, retry) whose
 * steps share private state; split across files, each step would need that
 * state exposed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import { Pool, type Dispatcher } from 'undici';
import type { ApiConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { isInvalidTokenChallenge, isUseDPoPNonceChallenge } from '../tokens/bearer-challenge.js';
import type { TokenSet } from '../oidc/tokens.js';
import type { FlowLog } from '../flow/flow-log.js';
import type { AccessTokenRequest } from '../tokens/token-service.js';
import { downstreamResponseHeaders, mapApiTarget, upstreamRequestHeaders } from './api-target.js';
import { proofTarget, UpstreamCredentials, type UpstreamToken } from './credentials.js';
import type { DPoPKeys } from '../dpop/dpop-key.js';
import { metrics, recordProxied } from '../observability/metrics.js';

const upstreamUnreachable = (cause: unknown) =>
  new AppError(502, 'upstream_unreachable', 'errors:message.upstream_unreachable', { cause });
const upstreamTimeout = (cause?: unknown) =>
  new AppError(504, 'upstream_timeout', 'errors:message.upstream_timeout', { cause });

/** The largest 401 body kept while we decide whether to retry (challenge bodies are tiny). */
const CHALLENGE_BODY_LIMIT = 16 * 1024;

/** Where one API's calls get their access token (proxy/api-routes.ts): the user's, or the app's own. */
export interface ApiCredentials {
  getTokens(sessionId: string, request?: AccessTokenRequest): Promise<UpstreamToken>;
}

export interface ApiProxyDeps {
  readonly api: ApiConfig;
  /** The API's name (`default` for `API_BASE_URL`) and where the browser calls it (`/api/`, `/api/<name>/`). */
  readonly target?: { readonly name: string; readonly mountPath: string };
  readonly tokens: ApiCredentials;
  /** The logins' DPoP keys, imported once per instance (dpop/dpop-key.ts). */
  readonly dpopKeys: DPoPKeys;
  readonly flowLog: FlowLog;
  /** Headers the gateway puts on every answer (security headers, request id): the API's copies are dropped. */
  readonly gatewayHeaders: readonly string[];
}

/** The API's origin and prefix, and where the browser calls it: for paths and redirects. */
interface Upstream {
  readonly base: URL;
  readonly mountPath: string;
}

/** A 401 `invalid_token` answer held back, to be replaced by a retry or passed on as it is. */
interface Challenge {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export class ApiProxy {
  readonly #deps: ApiProxyDeps;
  readonly #pool: Pool;
  /**
   * Raw `/api/…` target → upstream path, and the URL a DPoP proof names (`htu`): mapping is
   * pure, and the same few paths come again and again.
   */
  readonly #targets = new LRUCache<string, { path: string; htu: string }>({ max: 1_000 });
  readonly #credentials: UpstreamCredentials;
  readonly #mountPath: string;
  readonly #upstream: Upstream;
  readonly #gatewayHeaders: ReadonlySet<string>;
  readonly #replayMethods: ReadonlySet<string>;

  constructor(deps: ApiProxyDeps) {
    this.#deps = deps;
    this.#replayMethods = new Set(deps.api.replayMethods);
    this.#gatewayHeaders = new Set(deps.gatewayHeaders.map((name) => name.toLowerCase()));
    const { baseUrl, connectTimeoutMs } = deps.api;
    this.#mountPath = deps.target?.mountPath ?? '/api/';
    this.#upstream = { base: baseUrl, mountPath: this.#mountPath };
    this.#credentials = new UpstreamCredentials(deps.dpopKeys);
    this.#pool = new Pool(baseUrl.origin, {
      connections: 256,
      pipelining: 1,
      connectTimeout: connectTimeoutMs,
      // The head and idle deadlines are kept by UpstreamExchange: undici's own timers are
      // deliberately coarse and fire early on short deadlines.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  /**
   * Forwards `/api/<path>` for a session that is already known to be logged in.
   * `head` holds the response headers the gateway adds (security headers,
   * request id, a rolled session cookie); they go out in one `writeHead`.
   * `stored`: the session's token record if the caller already read it (`null`: read, and there is none).
   */
  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    sessionId: string,
    head: readonly string[] = [],
    stored?: TokenSet | null,
  ): Promise<void> {
    const { tokens, flowLog } = this.#deps;
    const started = Date.now();
    const { path, htu } = this.#target(req.url ?? '');
    const method = req.method ?? 'GET';
    const origin = this.#upstream.base.origin;
    const headers = upstreamRequestHeaders(req.headers);
    // Only a method that may safely be sent twice is ever replayed (API_REPLAY_METHODS, idempotent ones by default).
    const replayMethod = this.#replayMethods.has(method);
    const plan = this.#bodyPlan(req, replayMethod);
    const body = plan === 'buffer' ? await readBody(req) : plan === 'none' ? EMPTY : undefined;

    const held = await tokens.getTokens(sessionId, { stored });
    const onStatus = (status: number, upstreamHeaders?: Challenge['headers']) => {
      if (upstreamHeaders) this.#credentials.noteNonce(origin, upstreamHeaders);
      recordProxied(req.method, status, (Date.now() - started) / 1000);
      flowLog.append(sessionId, {
        type: 'api_call',
        at: started,
        data: {
          method: req.method ?? '',
          path,
          status,
          latencyMs: Date.now() - started,
          ...(this.#deps.target && { api: this.#deps.target.name }),
        },
      });
    };
    const replayable = body !== undefined && replayMethod;
    // A bearer token goes on at once; a DPoP proof may first need the login's key (credentials.ts).
    const sent =
      this.#credentials.bearer(headers, held) ?? (await this.#credentials.apply(headers, held, method, htu, origin));
    let challenge = await this.#exchange(req, res, path, headers, body, head, onStatus, replayable);
    if (challenge && this.#credentials.wantsNonceRetry(origin, challenge.headers, sent)) {
      await this.#credentials.apply(headers, held, method, htu, origin);
      challenge = await this.#exchange(req, res, path, headers, body, head, onStatus, replayable);
    }
    if (!challenge) return;

    const refreshed = isInvalidTokenChallenge(challenge.headers['www-authenticate'])
      ? await tokens.getTokens(sessionId, { force: 'rejected_by_api', rejectedAccessToken: held.accessToken })
      : held;
    if (refreshed.accessToken === held.accessToken) {
      onStatus(challenge.status);
      writeChallenge(res, challenge, head, this.#upstream, this.#gatewayHeaders);
      return;
    }
    await this.#credentials.apply(headers, refreshed, method, htu, origin);
    await this.#exchange(req, res, path, headers, body, head, onStatus, false);
  }

  #target(rawUrl: string): { path: string; htu: string } {
    let target = this.#targets.get(rawUrl);
    if (target === undefined) {
      const url = mapApiTarget(rawUrl, this.#deps.api.baseUrl, this.#mountPath);
      target = { path: url.pathname + url.search, htu: proofTarget(url) };
      this.#targets.set(rawUrl, target);
    }
    return target;
  }

  /**
   * What to do with the request body: `none` when there is none, `buffer` when the call could
   * need a replay (a method that may be replayed, with a declared length within the limit), and
   * `stream` for anything else.
   */
  #bodyPlan(req: IncomingMessage, replayMethod: boolean): 'none' | 'buffer' | 'stream' {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) return 'none';
    if (!replayMethod || chunked || Number(length) > this.#deps.api.replayBodyLimitBytes) return 'stream';
    return 'buffer';
  }

  /**
   * One upstream exchange, streamed into `res`. Resolves when the answer has
   * been passed on (or the browser left), or with the held-back answer when
   * `mayRetry` and the API refused the token or asked for a DPoP nonce. `headers` carry the
   * credential already (credentials.ts). Rejects only before any byte
   * went to the browser, with a 502/504 for the gateway to render.
   */
  #exchange(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer | undefined,
    head: readonly string[],
    onStatus: (status: number, headers?: Challenge['headers']) => void,
    mayRetry: boolean,
  ): Promise<Challenge | undefined> {
    if (body !== undefined && body.length > 0) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const exchange = new UpstreamExchange(
        res,
        head,
        this.#upstream,
        this.#gatewayHeaders,
        onStatus,
        mayRetry,
        resolve,
        reject,
      );
      exchange.start(this.#deps.api, body === undefined ? req : undefined);
      try {
        this.#pool.dispatch({ path, method: req.method ?? 'GET', headers, body: body ?? req }, exchange);
      } catch (err) {
        exchange.fail(err);
      }
    });
  }
}

/**
 * The undici handler of one exchange: upstream events in, browser response out.
 * A class rather than closures: this runs on every API call.
 */
class UpstreamExchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  /** The head timeout until the answer's head arrives, then the idle timeout. */
  #timer: NodeJS.Timeout | undefined;
  #idleTimeoutMs = 0;
  /** True while the upstream is paused because the browser reads slowly: that silence is not the API's. */
  #waitingForBrowser = false;
  #streamedBody: IncomingMessage | undefined;
  #headTimeoutMs = 0;
  readonly #onBodySent = this.#armHeadTimeout.bind(this);
  #challenge: { status: number; headers: Challenge['headers']; chunks: Buffer[]; size: number } | undefined;
  readonly #onClientClose = this.#clientClosed.bind(this);
  readonly #onDrain = this.#drained.bind(this);

  readonly #res: ServerResponse;
  readonly #head: readonly string[];
  readonly #upstream: Upstream;
  readonly #gatewayHeaders: ReadonlySet<string>;
  readonly #onStatus: (status: number, headers?: Challenge['headers']) => void;
  readonly #mayRetry: boolean;
  readonly #resolve: (challenge: Challenge | undefined) => void;
  readonly #reject: (error: AppError) => void;

  constructor(
    res: ServerResponse,
    head: readonly string[],
    upstream: Upstream,
    gatewayHeaders: ReadonlySet<string>,
    onStatus: (status: number, headers?: Challenge['headers']) => void,
    mayRetry: boolean,
    resolve: (challenge: Challenge | undefined) => void,
    reject: (error: AppError) => void,
  ) {
    this.#res = res;
    this.#head = head;
    this.#upstream = upstream;
    this.#gatewayHeaders = gatewayHeaders;
    this.#onStatus = onStatus;
    this.#mayRetry = mayRetry;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** `streamedBody`: the browser's request when its body streams through; the head timeout starts at its end. */
  start(timeouts: { timeoutMs: number; idleTimeoutMs: number }, streamedBody?: IncomingMessage): void {
    // A browser that goes away must not leave the upstream call running.
    this.#res.once('close', this.#onClientClose);
    this.#headTimeoutMs = timeouts.timeoutMs;
    this.#idleTimeoutMs = timeouts.idleTimeoutMs;
    if (streamedBody && !streamedBody.readableEnded) {
      this.#streamedBody = streamedBody;
      streamedBody.once('end', this.#onBodySent);
    } else this.#armHeadTimeout();
  }

  #armHeadTimeout(): void {
    this.#streamedBody = undefined;
    if (!this.#settled) this.#timer = setTimeout(UpstreamExchange.#fire, this.#headTimeoutMs, this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) controller.abort(new Error('already settled'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: Challenge['headers']): void {
    if (status < 200) return; // 1xx informational answers stay here.
    // The head is here (an API may answer before it has read the whole upload): from now on only silence counts.
    this.#streamedBody?.off('end', this.#onBodySent);
    this.#streamedBody = undefined;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(UpstreamExchange.#fire, this.#idleTimeoutMs, this);
    if (this.#mayRetry && status === 401 && isRetryableChallenge(headers['www-authenticate'])) {
      this.#challenge = { status, headers, chunks: [], size: 0 };
      return;
    }
    this.#onStatus(status, headers);
    const head = this.#head.slice();
    flatten(
      downstreamResponseHeaders(headers, this.#upstream.base, this.#upstream.mountPath),
      this.#gatewayHeaders,
      head,
    );
    this.#res.writeHead(status, head);
    this.#res.on('drain', this.#onDrain);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#timer?.refresh();
    const challenge = this.#challenge;
    if (challenge) {
      challenge.size += chunk.length;
      if (challenge.size <= CHALLENGE_BODY_LIMIT) challenge.chunks.push(chunk);
      return;
    }
    if (!this.#res.write(chunk)) {
      this.#waitingForBrowser = true;
      controller.pause();
    }
  }

  onResponseEnd(): void {
    const challenge = this.#challenge;
    if (challenge) {
      const whole = challenge.size <= CHALLENGE_BODY_LIMIT;
      this.#finish({
        status: challenge.status,
        headers: challenge.headers,
        body: whole ? Buffer.concat(challenge.chunks) : EMPTY,
      });
      return;
    }
    this.#res.end();
    this.#finish(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  fail(error: unknown): void {
    if (!this.#settle()) return;
    if (this.#res.headersSent) {
      // Part of the answer already went out: all we can do is cut the connection.
      this.#res.destroy();
      this.#resolve(undefined);
    } else {
      const failure = error instanceof AppError ? error : classify(error);
      metrics.proxyFailures.inc({ code: failure.code });
      this.#reject(failure);
    }
  }

  #finish(challenge: Challenge | undefined): void {
    if (this.#settle()) this.#resolve(challenge);
  }

  /** Marks the exchange done, once; false if it already was. */
  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#streamedBody?.off('end', this.#onBodySent);
    this.#res.off('close', this.#onClientClose);
    this.#res.off('drain', this.#onDrain);
    return true;
  }

  #clientClosed(): void {
    if (this.#res.writableFinished) return;
    this.#controller?.abort(new Error('client closed'));
    this.#finish(undefined);
  }

  #drained(): void {
    this.#waitingForBrowser = false;
    this.#timer?.refresh();
    this.#controller?.resume();
  }

  /** The timer's callback, given the exchange as its argument: no function is bound per call. */
  static #fire(exchange: UpstreamExchange): void {
    exchange.#timedOut();
  }

  #timedOut(): void {
    if (this.#waitingForBrowser) {
      this.#timer?.refresh();
      return;
    }
    const timeout = upstreamTimeout(new Error(this.#res.headersSent ? 'idle timeout' : 'head timeout'));
    this.#controller?.abort(timeout);
    this.fail(timeout);
  }
}

const EMPTY = Buffer.alloc(0);

/** The whole request body (its length was checked against the replay limit first). */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A 401 a second attempt may cure: an unusable token (refresh) or a missing DPoP nonce (RFC 9449 §9). */
function isRetryableChallenge(header: string | string[] | undefined): boolean {
  return isInvalidTokenChallenge(header) || isUseDPoPNonceChallenge(header);
}

/** undici's errors: its only timer left on (connect) is a 504, anything else a 502. */
function classify(error: unknown): AppError {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' ? upstreamTimeout(error) : upstreamUnreachable(error);
}

/**
 * `{ name: value }` → `[name, value, …]`, the form `writeHead` takes without building a header map.
 * A header the gateway puts on every answer is ours: the API's copy is dropped, so it can neither
 * override nor duplicate it.
 */
function flatten(
  headers: Record<string, string | string[]>,
  gatewayHeaders: ReadonlySet<string>,
  flat: string[] = [],
): string[] {
  for (const name in headers) {
    if (gatewayHeaders.has(name)) continue;
    const value = headers[name] as string | string[];
    if (Array.isArray(value)) for (const item of value) flat.push(name, item);
    else flat.push(name, value);
  }
  return flat;
}

/** Passes on a held-back 401 when no retry was possible. */
function writeChallenge(
  res: ServerResponse,
  challenge: Challenge,
  head: readonly string[],
  upstream: Upstream,
  gatewayHeaders: ReadonlySet<string>,
): void {
  const headers = downstreamResponseHeaders(challenge.headers, upstream.base, upstream.mountPath);
  delete headers['content-length'];
  // An over-long challenge body was not kept: send the status and headers without it.
  if (challenge.body.length === 0) delete headers['content-encoding'];
  res.writeHead(challenge.status, [
    ...head,
    ...flatten(headers, gatewayHeaders),
    'content-length',
    String(challenge.body.length),
  ]);
  res.end(challenge.body);
}

/**
 * The /api proxy: the browser's call goes to the downstream API with the
 * session's access token as the only credential (the BFF pattern,
 * draft-ietf-oauth-browser-based-apps §6.1).
 *
 * - Bodies are streamed both ways; a request is buffered only when it is small
 *   enough to be replayed (see below).
 * - Timeouts: connecting (new sockets) and the whole exchange. Refused → 502,
 *   timeout → 504, both JSON with a stable code. A browser that goes away
 *   aborts the upstream request.
 * - If the API answers 401 with `error="invalid_token"` (RFC 6750 §3.1) to a
 *   token we believed valid, we refresh once and retry once, only for requests
 *   we can replay (no body, or a small buffered one). Never a loop.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { ApiConfig } from '../config.js';
import { AppError } from '../errors.js';
import type { FlowLog } from '../session/flow-log.js';
import type { TokenService } from '../session/token-service.js';
import { downstreamResponseHeaders, mapApiTarget, upstreamRequestHeaders } from './api-target.js';

export class UpstreamError extends AppError {}

const upstreamUnreachable = (cause: unknown) =>
  new UpstreamError(502, 'upstream_unreachable', 'The API could not be reached.', { cause });
const upstreamTimeout = (cause?: unknown) =>
  new UpstreamError(504, 'upstream_timeout', 'The API did not answer in time.', { cause });

export interface ApiProxyDeps {
  readonly api: ApiConfig;
  readonly tokens: TokenService;
  readonly flowLog: FlowLog;
}

interface Attempt {
  readonly response: IncomingMessage;
  readonly abort: () => void;
}

export class ApiProxy {
  readonly #deps: ApiProxyDeps;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;

  constructor(deps: ApiProxyDeps) {
    this.#deps = deps;
    const secure = deps.api.baseUrl.protocol === 'https:';
    this.#transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 30_000 };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  close(): void {
    this.#agent.destroy();
  }

  /** Forwards `/api/<path>` for a session that is already known to be logged in. */
  async forward(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    const { api, tokens, flowLog } = this.#deps;
    const started = Date.now();
    const target = mapApiTarget(req.url ?? '', api.baseUrl);
    const headers = upstreamRequestHeaders(req.headers);
    const body = await this.#readReplayableBody(req);

    let held = await tokens.getTokens(sessionId);
    let attempt = await this.#send(req, res, target, headers, held.accessToken, body);
    if (body !== undefined && isInvalidTokenChallenge(attempt.response)) {
      attempt.response.resume();
      const refreshed = await tokens.getTokens(sessionId, {
        force: 'rejected_by_api',
        rejectedAccessToken: held.accessToken,
      });
      if (refreshed.accessToken !== held.accessToken) {
        held = refreshed;
        attempt = await this.#send(req, res, target, headers, held.accessToken, body);
      }
    }
    const { response } = attempt;
    res.statusCode = response.statusCode ?? 502;
    // setHeader, not res.set: Express would add a charset to the upstream's Content-Type.
    for (const [name, value] of Object.entries(downstreamResponseHeaders(response.headers, api.baseUrl))) {
      res.setHeader(name, value);
    }
    flowLog.append(sessionId, {
      type: 'api_call',
      at: started,
      data: { method: req.method ?? '', path: target.pathname + target.search, status: response.statusCode ?? 0, latencyMs: Date.now() - started },
    });
    await pipeResponse(response, res, attempt.abort);
  }

  /**
   * Buffers the body when the call could need a replay: no body at all, or a
   * declared length within the limit. Anything else streams (`undefined`).
   */
  async #readReplayableBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) return Buffer.alloc(0);
    if (chunked || Number(length) > this.#deps.api.replayBodyLimitBytes) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    target: URL,
    headers: Record<string, string | string[]>,
    accessToken: string,
    body: Buffer | undefined,
  ): Promise<Attempt> {
    const { connectTimeoutMs, timeoutMs } = this.#deps.api;
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      // RFC 6750 §2.1: the token goes in the Authorization header, never in the URL.
      headers.authorization = `Bearer ${accessToken}`;
      if (body !== undefined && body.length > 0) headers['content-length'] = String(body.length);
      const upstream = this.#transport.request(target, { method: req.method, agent: this.#agent, headers });
      const fail = (error: AppError) => {
        clearTimeout(total);
        if (!settled) {
          settled = true;
          reject(error);
        }
        upstream.destroy();
      };
      const total = setTimeout(() => fail(upstreamTimeout()), timeoutMs);
      upstream.on('socket', (socket) => {
        if (!socket.connecting) return; // A reused keep-alive socket is already connected.
        const connect = setTimeout(() => fail(upstreamTimeout(new Error('connect timeout'))), connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connect));
        socket.once('close', () => clearTimeout(connect));
      });
      upstream.on('error', (err) => fail(settled ? upstreamTimeout(err) : upstreamUnreachable(err)));
      upstream.on('response', (response) => {
        settled = true;
        resolve({ response, abort: () => { clearTimeout(total); upstream.destroy(); } });
        response.once('end', () => clearTimeout(total));
        response.once('close', () => clearTimeout(total));
      });
      // A browser that goes away must not leave the upstream call running.
      res.once('close', () => {
        if (!res.writableFinished) fail(upstreamTimeout(new Error('client closed')));
      });
      if (body === undefined) req.pipe(upstream);
      else if (body.length > 0) upstream.end(body);
      else upstream.end();
    });
  }
}

function isInvalidTokenChallenge(response: IncomingMessage): boolean {
  if (response.statusCode !== 401) return false;
  const challenge = response.headers['www-authenticate'];
  return typeof challenge === 'string' && /^bearer\b/i.test(challenge) && /error="?invalid_token"?/i.test(challenge);
}

function pipeResponse(response: IncomingMessage, res: ServerResponse, abort: () => void): Promise<void> {
  return new Promise((resolve) => {
    response.on('error', () => {
      abort();
      res.destroy();
      resolve();
    });
    res.once('close', () => {
      if (!res.writableFinished) abort();
      resolve();
    });
    response.pipe(res);
  });
}

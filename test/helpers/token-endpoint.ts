/**
 * A scripted token endpoint for refresh faults the embedded provider cannot
 * show: it rotates refresh tokens and refuses reuse of an old one (like
 * oidc-provider with rotation), answers after `latencyMs` (or never, `hang`),
 * counts revocations (RFC 7009) and can put an ID token of the test's choosing
 * in its answer, or be told to fail (`behaviour.mode`). A test can also wait
 * for a request to arrive (`whenRequests`) and hold the answers until it says
 * so (`hold`), to act while a grant is at the provider without guessing how
 * long it takes to get there. `provider` is what TokenService takes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import type { ProviderConnection } from '../../src/oidc/client.js';

export const ENDPOINT_CLIENT_ID = 'web-app';

export interface TokenEndpoint {
  readonly issuer: string;
  readonly provider: ProviderConnection;
  /** grants: refreshes answered; reused: a rotated-away token sent again; requests: every refresh request. */
  readonly counts: { grants: number; reused: number; requests: number };
  /** Refresh tokens revoked at `/revoke`. */
  readonly revoked: string[];
  /** The refresh token the endpoint accepts now. */
  readonly current: string;
  /** Delay before each answer; `'hang'` never answers. */
  latencyMs: number | 'hang';
  /** `expires_in` of the access tokens issued. */
  expiresIn: number;
  /** What the next grants answer: normal rotation, a provider outage (503), or a revoked grant. */
  readonly behaviour: { mode: 'rotate' | 'unavailable' | 'invalid_grant' | 'invalid_client' };
  /** Builds the `id_token` of each answer (none when unset). */
  idToken: ((n: number) => Promise<string>) | undefined;
  /** Resolves once `counts.requests` has reached `n` (default: one more refresh request than now). */
  whenRequests(n?: number): Promise<void>;
  /** Holds the answers to grants until the returned function is called; `latencyMs` applies after. */
  hold(): () => void;
  close(): Promise<void>;
}

export async function startTokenEndpoint(
  initialRefreshToken: string,
  latencyMs = 150,
  options: { timeoutSeconds?: number } = {},
): Promise<TokenEndpoint> {
  let current = initialRefreshToken;
  const counts = { grants: 0, reused: 0, requests: 0 };
  const revoked: string[] = [];
  const behaviour = { mode: 'rotate' as 'rotate' | 'unavailable' | 'invalid_grant' | 'invalid_client' };
  const state = {
    latencyMs: latencyMs as number | 'hang',
    expiresIn: 300,
    idToken: undefined as ((n: number) => Promise<string>) | undefined,
  };
  const requestWaiters: Array<{ n: number; resolve: () => void }> = [];
  let held: Array<() => void> | undefined;
  const countRequest = () => {
    counts.requests += 1;
    for (const waiter of requestWaiters.filter((w) => w.n <= counts.requests)) {
      requestWaiters.splice(requestWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const reply = (status: number, payload: object) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(payload));
      };
      if (req.url === '/revoke') {
        revoked.push(params.get('token') ?? '');
        res.writeHead(200).end();
        return;
      }
      if (req.url !== '/token' || params.get('grant_type') !== 'refresh_token')
        return reply(400, { error: 'unsupported_grant_type' });
      countRequest();
      if (behaviour.mode === 'unavailable') return reply(503, { error: 'temporarily_unavailable' });
      if (behaviour.mode === 'invalid_grant') return reply(400, { error: 'invalid_grant' });
      // RFC 6749 §5.2: the client's own credentials were refused.
      if (behaviour.mode === 'invalid_client') return reply(401, { error: 'invalid_client' });
      if (params.get('refresh_token') !== current) {
        counts.reused += 1;
        return reply(400, { error: 'invalid_grant', error_description: 'refresh token reused' });
      }
      counts.grants += 1;
      const n = counts.grants;
      current = `rt-rotated-${n}`;
      const answer = async () => ({
        access_token: `at-refreshed-${n}`,
        token_type: 'Bearer',
        expires_in: state.expiresIn,
        refresh_token: `rt-rotated-${n}`,
        ...(state.idToken ? { id_token: await state.idToken(n) } : {}),
      });
      if (state.latencyMs === 'hang') return;
      const send = () => {
        if (state.latencyMs === 'hang') return;
        setTimeout(() => void answer().then((payload) => reply(200, payload)), state.latencyMs);
      };
      if (held) held.push(send);
      else send();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration = new client.Configuration(
    { issuer, token_endpoint: `${issuer}/token`, revocation_endpoint: `${issuer}/revoke` },
    ENDPOINT_CLIENT_ID,
    'web-app-secret',
  );
  client.allowInsecureRequests(configuration);
  configuration.timeout = options.timeoutSeconds ?? 5;
  const provider = { get: () => configuration, ready: true } as unknown as ProviderConnection;
  return {
    issuer,
    provider,
    counts,
    revoked,
    get current() {
      return current;
    },
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(value) {
      state.latencyMs = value;
    },
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(value) {
      state.expiresIn = value;
    },
    behaviour,
    get idToken() {
      return state.idToken;
    },
    set idToken(value) {
      state.idToken = value;
    },
    whenRequests(n = counts.requests + 1) {
      if (counts.requests >= n) return Promise.resolve();
      return new Promise<void>((resolve) => requestWaiters.push({ n, resolve }));
    },
    hold() {
      const answers: Array<() => void> = (held = []);
      return () => {
        if (held === answers) held = undefined;
        for (const send of answers.splice(0)) send();
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

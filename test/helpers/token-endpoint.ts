/**
 * A scripted token endpoint for tests of the refresh machinery: it rotates
 * refresh tokens and rejects reuse of an old one (like oidc-provider with
 * rotation), answers after `latencyMs`, and can be told to fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import type { ProviderConnection } from '../../src/oidc/client.js';

/** A token endpoint that rotates refresh tokens and rejects reuse of an old one, like oidc-provider with rotation. */
export async function startTokenEndpoint(initialRefreshToken: string, latencyMs = 150) {
  let current = initialRefreshToken;
  const counts = { grants: 0, reused: 0 };
  /** What the next grants answer: normal rotation, a provider outage, or a revoked grant. */
  const behaviour = { mode: 'rotate' as 'rotate' | 'unavailable' | 'invalid_grant' };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const reply = (status: number, payload: object) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(payload));
      };
      if (req.url !== '/token' || params.get('grant_type') !== 'refresh_token')
        return reply(400, { error: 'unsupported_grant_type' });
      if (behaviour.mode === 'unavailable') return reply(503, { error: 'temporarily_unavailable' });
      if (behaviour.mode === 'invalid_grant') return reply(400, { error: 'invalid_grant' });
      if (params.get('refresh_token') !== current) {
        counts.reused += 1;
        return reply(400, { error: 'invalid_grant', error_description: 'refresh token reused' });
      }
      counts.grants += 1;
      const n = counts.grants;
      current = `rt-rotated-${n}`;
      setTimeout(
        () =>
          reply(200, {
            access_token: `at-refreshed-${n}`,
            token_type: 'Bearer',
            expires_in: 300,
            refresh_token: current,
          }),
        latencyMs,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration = new client.Configuration(
    { issuer, token_endpoint: `${issuer}/token` },
    'web-app',
    'web-app-secret',
  );
  client.allowInsecureRequests(configuration);
  const provider = { get: () => configuration, ready: true } as unknown as ProviderConnection;
  return {
    counts,
    behaviour,
    provider,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A tiny loopback authorization server for the faults the embedded provider
 * cannot produce: it serves discovery and a token endpoint whose answers the
 * test chooses, and records how each token request arrived.
 *
 * By default it behaves like Auth0: strict about the registered client
 * authentication method, opaque tokens valid for `expiresIn` seconds. It also
 * records what travelled (Basic header or form body, `audience`/`resource`,
 * `scope`, `organization`), which the real provider does not expose.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** How one token request arrived. The secret itself is not recorded. */
export interface StubTokenRequest {
  /** `basic`: Authorization header; `post`: client_secret in the body; `none`. */
  via: 'basic' | 'post' | 'none';
  clientId: string | undefined;
  secretMatched: boolean;
  /** Form parameters without client_id / client_secret. */
  params: Record<string, string>;
}

export interface StubAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface TokenStubOptions {
  clientId: string;
  clientSecret: string;
  /** The only client authentication method accepted (RFC 6749 §2.3.1). */
  authMethod: 'client_secret_basic' | 'client_secret_post';
  expiresIn?: number;
  /** Discovery answers 503 this many times before it works (the provider starting up). */
  discoveryFailures?: number;
}

export interface TokenStub {
  readonly issuer: URL;
  /** The stub's client, as ClientCredentialsTokens options (the right secret and auth method). */
  readonly client: {
    issuer: URL;
    clientId: string;
    clientSecret: string;
    authMethod: TokenStubOptions['authMethod'];
    allowInsecureRequests: true;
  };
  readonly requests: StubTokenRequest[];
  /** Replaces the default answer (credentials check + token) for the next requests. */
  answer(fn: ((request: StubTokenRequest) => StubAnswer | undefined) | null): void;
  close(): Promise<void>;
}

export async function startTokenStub(options: TokenStubOptions): Promise<TokenStub> {
  const requests: StubTokenRequest[] = [];
  let discoveryFailures = options.discoveryFailures ?? 0;
  let custom: ((request: StubTokenRequest) => StubAnswer | undefined) | null = null;
  let issuer = '';

  const send = (res: ServerResponse, answer: StubAnswer): void => {
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...answer.headers,
    });
    res.end(JSON.stringify(answer.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && req.url === '/.well-known/openid-configuration') {
      if (discoveryFailures > 0) {
        discoveryFailures -= 1;
        send(res, { status: 503, body: { error: 'temporarily_unavailable' } });
        return;
      }
      send(res, {
        status: 200,
        body: {
          issuer,
          token_endpoint: `${issuer}/oauth/token`,
          jwks_uri: `${issuer}/jwks`,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: [options.authMethod],
        },
      });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/oauth/token') {
      send(res, { status: 404, body: { error: 'not_found' } });
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const form = new URLSearchParams(raw);
    let via: StubTokenRequest['via'] = 'none';
    let clientId = form.get('client_id') ?? undefined;
    let secret: string | undefined;
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      via = 'basic';
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    } else if (form.has('client_secret')) {
      via = 'post';
      secret = form.get('client_secret') ?? undefined;
    }
    const params = Object.fromEntries([...form].filter(([name]) => name !== 'client_id' && name !== 'client_secret'));
    const record: StubTokenRequest = { via, clientId, secretMatched: secret === options.clientSecret, params };
    requests.push(record);

    const chosen = custom?.(record);
    if (chosen) {
      send(res, chosen);
      return;
    }
    const expected = options.authMethod === 'client_secret_basic' ? 'basic' : 'post';
    if (clientId !== options.clientId || !record.secretMatched || via !== expected) {
      send(res, {
        status: 401,
        body: {
          error: 'invalid_client',
          error_description:
            via !== expected
              ? `this client must authenticate with ${options.authMethod}`
              : 'client authentication failed',
        },
      });
      return;
    }
    send(res, {
      status: 200,
      body: {
        access_token: `stub-${randomBytes(12).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: options.expiresIn ?? 86_400,
        ...(params['scope'] ? { scope: params['scope'] } : {}),
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { clientId, clientSecret, authMethod } = options;
  return {
    issuer: new URL(issuer),
    client: { issuer: new URL(issuer), clientId, clientSecret, authMethod, allowInsecureRequests: true },
    requests,
    answer(fn) {
      custom = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

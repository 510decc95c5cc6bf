/**
 * The demo downstream API as a resource server: RFC 6750 bearer-token handling
 * and RFC 9068 JWT access-token validation, scopes, caller kinds, per-user data
 * and request validation. Real HTTP on 127.0.0.1, tokens from the test factory.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { createDemoApi } from '../../../src/demo/api/app.js';
import { M2M_SCOPES, USER_SCOPES } from '../../../src/demo/api/scopes.js';
import type { DemoApiOptions } from '../../../src/demo/api/app.js';
import { DemoDataStore } from '../../../src/demo/api/data.js';
import { createTokenFactory } from '../../helpers/token-factory.js';
import type { MintOptions, TokenFactory } from '../../helpers/token-factory.js';

const AUDIENCE = 'https://demo-api.example/';
const BFF_CLIENT = 'bff-client';
const M2M_CLIENT = 'reporting-service';
const ALL_USER_SCOPES = USER_SCOPES.join(' ');

let factory: TokenFactory;
let baseUrl: string;
const servers: Server[] = [];

async function listen(options: Partial<DemoApiOptions> = {}): Promise<string> {
  const app = createDemoApi({
    issuer: factory.issuer,
    audience: AUDIENCE,
    jwksUri: factory.jwksUri,
    ...options,
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface CallOptions {
  token?: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  base?: string;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${options.base ?? baseUrl}${path}`, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  if (text.length > 0 && (response.headers.get('content-type') ?? '').includes('json')) {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function userToken(
  sub: string,
  scope = ALL_USER_SCOPES,
  claims: JWTPayload = {},
  options?: MintOptions,
): Promise<string> {
  return factory.mint({ sub, aud: AUDIENCE, client_id: BFF_CLIENT, scope, ...claims }, options);
}

function machineToken(scope = M2M_SCOPES.join(' '), claims: JWTPayload = {}, options?: MintOptions): Promise<string> {
  // oidc-provider shape: client-credentials tokens carry sub === client_id.
  return factory.mint({ sub: M2M_CLIENT, aud: AUDIENCE, client_id: M2M_CLIENT, scope, ...claims }, options);
}

/** Every refusal: JSON `{ error, error_description }`, no-store, and never the token. */
function assertError(reply: Reply, status: number, error: string, token?: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.json['error'], error);
  assert.equal(typeof reply.json['error_description'], 'string');
  assert.equal(reply.headers.get('cache-control'), 'no-store');
  if (token !== undefined) {
    assert.ok(!reply.text.includes(token), 'the body must not echo the token');
    assert.ok(!(reply.headers.get('www-authenticate') ?? '').includes(token), 'the challenge must not echo the token');
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

before(async () => {
  factory = await createTokenFactory();
  // Cooldown 0 so that the key-rotation test sees a re-fetch at once.
  baseUrl = await listen({ jwksCooldownMs: 0 });
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await factory.close();
});

describe('GET /health and response headers', () => {
  it('answers without a token, no-store, no CORS, no X-Powered-By', async () => {
    const reply = await call('/health', { headers: { origin: 'https://evil.example' } });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { status: 'ok' });
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    assert.equal(reply.headers.get('access-control-allow-origin'), null);
    assert.equal(reply.headers.get('x-powered-by'), null);
  });
});

/** RFC 6750 §3.1 and RFC 9449 §7.1: both schemes offered, the DPoP one with its proof algorithms. */
const MISSING_TOKEN_CHALLENGE = 'Bearer realm="demo-api", DPoP realm="demo-api", algs="ES256 EdDSA PS256 RS256"';

describe('how the token is sent (RFC 6750 §2)', () => {
  it('401 with bare Bearer and DPoP challenges when there is no token (§3.1: no error code)', async () => {
    const reply = await call('/appointments');
    assertError(reply, 401, 'missing_token');
    assert.equal(reply.headers.get('www-authenticate'), MISSING_TOKEN_CHALLENGE);
  });

  it('treats another scheme like no credentials', async () => {
    const reply = await call('/appointments', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertError(reply, 401, 'missing_token');
    assert.equal(reply.headers.get('www-authenticate'), MISSING_TOKEN_CHALLENGE);
  });

  it('accepts the scheme in any case', async () => {
    const token = await userToken('case-user');
    const reply = await call('/me', { headers: { authorization: `bearer ${token}` } });
    assert.equal(reply.status, 200);
  });

  it('refuses a token in the query, with or without the header', async () => {
    const token = await userToken('query-user');
    const queryOnly = await call(`/appointments?access_token=${token}`);
    assertError(queryOnly, 400, 'invalid_request', token);
    assert.match(
      queryOnly.headers.get('www-authenticate') ?? '',
      /^Bearer realm="demo-api", error="invalid_request", error_description="[^"]+"$/,
    );
    const both = await call(`/appointments?access_token=${token}`, { token });
    assertError(both, 400, 'invalid_request', token);
  });

  it('never reads a token from a form body', async () => {
    const token = await userToken('form-user');
    const reply = await call('/appointments', {
      method: 'POST',
      body: `access_token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(reply, 401, 'missing_token', token);
  });

  it('400 invalid_request for a malformed Authorization header', async () => {
    const reply = await call('/appointments', { headers: { authorization: 'Bearer two words' } });
    assertError(reply, 400, 'invalid_request');
  });
});

describe('token validation (RFC 9068 §4)', () => {
  async function assertInvalid(token: string, descriptionPattern?: RegExp): Promise<Reply> {
    const reply = await call('/me', { token });
    assertError(reply, 401, 'invalid_token', token);
    const challenge = reply.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="demo-api", error="invalid_token", error_description="[^"\\]+"$/);
    if (descriptionPattern) assert.match(String(reply.json['error_description']), descriptionPattern);
    return reply;
  }

  it('accepts a valid token', async () => {
    const reply = await call('/me', { token: await userToken('valid-user') });
    assert.equal(reply.status, 200);
  });

  it('refuses garbage', async () => {
    await assertInvalid('not-a-jwt', /malformed/);
    await assertInvalid('a.b.c', /malformed/);
  });

  it('refuses an expired token, but tolerates a few seconds of skew', async () => {
    await assertInvalid(await userToken('exp-user', undefined, {}, { expiresIn: -60 }), /expired/);
    const justExpired = await userToken('exp-user', undefined, { exp: nowSeconds() - 2 });
    assert.equal((await call('/me', { token: justExpired })).status, 200);
  });

  it('requires exp', async () => {
    await assertInvalid(await userToken('no-exp', undefined, {}, { expiresIn: null }), /exp/);
  });

  it('requires sub', async () => {
    await assertInvalid(await factory.mint({ aud: AUDIENCE, client_id: BFF_CLIENT, scope: ALL_USER_SCOPES }), /sub/);
  });

  it('refuses nbf in the future beyond the tolerance', async () => {
    await assertInvalid(await userToken('nbf-user', undefined, { nbf: nowSeconds() + 60 }), /nbf/);
    const slightlyAhead = await userToken('nbf-user', undefined, { nbf: nowSeconds() + 2 });
    assert.equal((await call('/me', { token: slightlyAhead })).status, 200);
  });

  it('refuses a wrong audience; accepts ours inside an array', async () => {
    await assertInvalid(await userToken('aud-user', undefined, { aud: 'https://other-api.example/' }), /aud/);
    await assertInvalid(await userToken('aud-user', undefined, { aud: BFF_CLIENT }), /aud/);
    const many = await userToken('aud-user', undefined, { aud: ['https://other-api.example/', AUDIENCE] });
    assert.equal((await call('/me', { token: many })).status, 200);
  });

  it('refuses a wrong issuer (compared exactly)', async () => {
    await assertInvalid(await userToken('iss-user', undefined, { iss: 'https://evil.example' }), /iss/);
    await assertInvalid(await userToken('iss-user', undefined, { iss: `${factory.issuer}/` }), /iss/);
  });

  it('refuses a bad signature (same kid, other key)', async () => {
    await assertInvalid(await userToken('sig-user', undefined, {}, { key: 'untrusted' }), /signature/);
    await assertInvalid(await userToken('sig-user', undefined, {}, { alg: 'ES256', key: 'untrusted' }), /signature/);
  });

  it('refuses alg none and HS256', async () => {
    await assertInvalid(await userToken('alg-user', undefined, {}, { alg: 'none' }), /algorithm/);
    await assertInvalid(await userToken('alg-user', undefined, {}, { alg: 'HS256' }), /algorithm/);
  });

  it('accepts RS256, PS256, ES256 and EdDSA', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      const reply = await call('/me', { token: await userToken(`alg-${alg}`, undefined, {}, { alg }) });
      assert.equal(reply.status, 200, `${alg}: ${reply.text}`);
    }
  });

  it('accepts typ at+jwt, application/at+jwt and JWT; refuses others and none', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT']) {
      const reply = await call('/me', { token: await userToken('typ-user', undefined, {}, { typ }) });
      assert.equal(reply.status, 200, `${typ}: ${reply.text}`);
    }
    await assertInvalid(await userToken('typ-user', undefined, {}, { typ: 'dpop+jwt' }), /typ/);
    await assertInvalid(await userToken('typ-user', undefined, {}, { typ: null }), /typ/);
  });

  it('refuses an unknown kid', async () => {
    await assertInvalid(await userToken('kid-user', undefined, {}, { kid: 'no-such-kid' }), /key/);
  });

  it('re-fetches the JWKS when a new kid appears after key rotation', async () => {
    // Warm the cache with the current key first.
    assert.equal((await call('/me', { token: await userToken('rotation-user') })).status, 200);
    const before = factory.jwksRequests;
    const newKid = await factory.rotate();
    const token = await userToken('rotation-user');
    assert.ok(token.length > 0 && newKid.length > 0);
    const reply = await call('/me', { token });
    assert.equal(reply.status, 200, reply.text);
    assert.ok(factory.jwksRequests > before, 'the JWKS was fetched again');
    // Tokens signed with the previous key stay valid while it is published.
    const afterRotation = factory.jwksRequests;
    assert.equal((await call('/me', { token })).status, 200);
    assert.equal(factory.jwksRequests, afterRotation, 'known kids are served from the cache');
  });

  it('with the default cooldown, made-up kids do not trigger a fetch each', async () => {
    const base = await listen();
    assert.equal((await call('/me', { base, token: await userToken('cooldown-user') })).status, 200);
    const fetched = factory.jwksRequests;
    for (let i = 0; i < 3; i += 1) {
      const reply = await call('/me', {
        base,
        token: await userToken('cooldown-user', undefined, {}, { kid: `made-up-${i}` }),
      });
      assertError(reply, 401, 'invalid_token');
    }
    assert.equal(factory.jwksRequests, fetched);
  });

  it('503 temporarily_unavailable when the JWKS cannot be fetched', async () => {
    const base = await listen();
    factory.setJwksAvailable(false);
    try {
      const token = await userToken('jwks-down');
      const reply = await call('/me', { base, token });
      assertError(reply, 503, 'temporarily_unavailable', token);
      assert.equal(reply.headers.get('retry-after'), '5');
      assert.equal(reply.headers.get('www-authenticate'), null);
    } finally {
      factory.setJwksAvailable(true);
    }
    assert.equal((await call('/me', { base, token: await userToken('jwks-down') })).status, 200);
  });
});

describe('scopes and kinds of caller', () => {
  it('403 insufficient_scope names the scope needed', async () => {
    const token = await userToken('scope-user', 'read:appointments');
    const post = await call('/appointments', {
      method: 'POST',
      token,
      body: JSON.stringify({ title: 'Trim', startsAt: '2030-01-01T10:00:00Z' }),
    });
    assertError(post, 403, 'insufficient_scope', token);
    assert.equal(
      post.headers.get('www-authenticate'),
      'Bearer realm="demo-api", error="insufficient_scope", scope="write:appointments"',
    );

    const contacts = await call('/contacts', { token });
    assertError(contacts, 403, 'insufficient_scope');
    assert.match(contacts.headers.get('www-authenticate') ?? '', /scope="read:contacts"/);

    assert.equal((await call('/appointments', { token })).status, 200);
  });

  it('admin:audit is never part of a user token: 403', async () => {
    const reply = await call('/admin/audit-log', { token: await userToken('admin-wannabe') });
    assertError(reply, 403, 'insufficient_scope');
    assert.match(reply.headers.get('www-authenticate') ?? '', /scope="admin:audit"/);
    const admin = await call('/admin/audit-log', { token: await userToken('real-admin', 'admin:audit') });
    assert.equal(admin.status, 200);
    assert.ok(Array.isArray(admin.json['entries']));
  });

  it('a machine token is refused on user routes', async () => {
    const token = await machineToken(`${ALL_USER_SCOPES} read:reports`);
    for (const path of ['/appointments', '/contacts']) {
      const reply = await call(path, { token });
      assertError(reply, 403, 'user_token_required', token);
      assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer realm="demo-api", error="insufficient_scope"/);
    }
    // Auth0 shape: sub is "<client_id>@clients", gty marks the grant.
    const auth0 = await factory.mint({
      sub: `${M2M_CLIENT}@clients`,
      aud: AUDIENCE,
      azp: M2M_CLIENT,
      gty: 'client-credentials',
      scope: ALL_USER_SCOPES,
    });
    assertError(await call('/appointments', { token: auth0 }), 403, 'user_token_required');
  });

  it('a user token is refused on the machine route', async () => {
    const token = await userToken('sneaky-user', `${ALL_USER_SCOPES} read:reports`);
    assertError(await call('/reports/daily', { token }), 403, 'machine_token_required', token);
  });

  it('the machine route needs read:reports', async () => {
    const reply = await call('/reports/daily', { token: await machineToken('') });
    assertError(reply, 403, 'insufficient_scope');
    assert.match(reply.headers.get('www-authenticate') ?? '', /scope="read:reports"/);
  });

  it('serves daily statistics to a machine client', async () => {
    const reply = await call('/reports/daily', { token: await machineToken() });
    assert.equal(reply.status, 200, reply.text);
    assert.match(String(reply.json['date']), /^\d{4}-\d{2}-\d{2}$/);
    for (const key of ['appointmentsBooked', 'cancellations', 'newContacts']) {
      assert.equal(typeof reply.json[key], 'number', key);
    }
    assert.equal(reply.json['generatedFor'], M2M_CLIENT);

    const auth0 = await factory.mint({
      sub: `${M2M_CLIENT}@clients`,
      aud: AUDIENCE,
      azp: M2M_CLIENT,
      gty: 'client-credentials',
      scope: 'read:reports',
    });
    const viaAuth0 = await call('/reports/daily', { token: auth0 });
    assert.equal(viaAuth0.status, 200);
    assert.equal(viaAuth0.json['generatedFor'], M2M_CLIENT);
  });
});

describe('GET /me', () => {
  it('shows the claims of a user token, never the token', async () => {
    const token = await userToken('alice', ALL_USER_SCOPES);
    const reply = await call('/me', { token });
    assert.equal(reply.status, 200);
    assert.ok(!reply.text.includes(token));
    assert.equal(reply.json['sub'], 'alice');
    assert.equal(reply.json['client_id'], BFF_CLIENT);
    assert.equal(reply.json['scope'], ALL_USER_SCOPES);
    assert.equal(reply.json['aud'], AUDIENCE);
    assert.equal(reply.json['iss'], factory.issuer);
    assert.equal(reply.json['kind'], 'user');
    assert.equal(typeof reply.json['exp'], 'number');
  });

  it('shows a machine token as such', async () => {
    const reply = await call('/me', { token: await machineToken() });
    assert.equal(reply.status, 200);
    assert.equal(reply.json['kind'], 'machine');
    assert.equal(reply.json['sub'], M2M_CLIENT);
    assert.equal(reply.json['client_id'], M2M_CLIENT);
  });
});

describe('appointments and contacts', () => {
  it('seeds a new user with sample data', async () => {
    const token = await userToken('newcomer');
    const appointments = await call('/appointments', { token });
    assert.equal(appointments.status, 200);
    const list = appointments.json['appointments'] as unknown[];
    assert.ok(list.length >= 2 && list.length <= 3);
    const contacts = await call('/contacts', { token });
    assert.equal(contacts.status, 200);
    const people = contacts.json['contacts'] as unknown[];
    assert.ok(people.length >= 2 && people.length <= 3);
  });

  it("keeps each user's data apart", async () => {
    const alice = await userToken('alice-sep');
    const bob = await userToken('bob-sep');
    const created = await call('/appointments', {
      method: 'POST',
      token: alice,
      body: JSON.stringify({ title: 'Colour consultation', startsAt: '2030-05-01T09:00:00+02:00', with: 'Sam' }),
    });
    assert.equal(created.status, 201, created.text);
    const id = String(created.json['id']);
    assert.equal(created.json['title'], 'Colour consultation');
    assert.equal(created.json['startsAt'], '2030-05-01T07:00:00.000Z');
    assert.equal(created.json['with'], 'Sam');

    const ids = (reply: Reply) => (reply.json['appointments'] as Array<{ id: string }>).map((a) => a.id);
    assert.ok(ids(await call('/appointments', { token: alice })).includes(id));
    assert.ok(!ids(await call('/appointments', { token: bob })).includes(id), "bob must not see alice's appointment");

    assertError(await call(`/appointments/${id}`, { method: 'DELETE', token: bob }), 404, 'not_found');
    const deleted = await call(`/appointments/${id}`, { method: 'DELETE', token: alice });
    assert.equal(deleted.status, 204);
    assertError(await call(`/appointments/${id}`, { method: 'DELETE', token: alice }), 404, 'not_found');
    assert.ok(!ids(await call('/appointments', { token: alice })).includes(id));
  });

  it('validates POST bodies', async () => {
    const token = await userToken('validator');
    const post = (body: string, headers?: Record<string, string>) =>
      call('/appointments', { method: 'POST', token, body, ...(headers ? { headers } : {}) });

    assertError(await post('{"title": '), 400, 'invalid_json');
    const badDate = await post(JSON.stringify({ title: 'Trim', startsAt: 'tomorrow' }));
    assertError(badDate, 400, 'invalid_request');
    assert.match(String(badDate.json['error_description']), /^startsAt: /);
    assertError(
      await post(JSON.stringify({ title: 'Trim', startsAt: '2030-02-30T10:00:00Z' })),
      400,
      'invalid_request',
    );
    assertError(await post(JSON.stringify({ title: '', startsAt: '2030-01-01T10:00:00Z' })), 400, 'invalid_request');
    assertError(
      await post(JSON.stringify({ title: 'x'.repeat(101), startsAt: '2030-01-01T10:00:00Z' })),
      400,
      'invalid_request',
    );
    assertError(
      await post(JSON.stringify({ title: 'Trim', startsAt: '2030-01-01T10:00:00Z', with: 'y'.repeat(101) })),
      400,
      'invalid_request',
    );
    assertError(await post(JSON.stringify({ startsAt: '2030-01-01T10:00:00Z' })), 400, 'invalid_request');
    assertError(await post(JSON.stringify([1, 2])), 400, 'invalid_request');
    assertError(
      await post(JSON.stringify({ title: 'Trim', startsAt: '2030-01-01T10:00:00Z', access_token: 'x' })),
      400,
      'invalid_request',
    );
    assertError(
      await post(JSON.stringify({ title: 'Trim', startsAt: '2030-01-01T10:00:00Z' }), { 'content-type': 'text/plain' }),
      415,
      'unsupported_media_type',
    );

    const big = JSON.stringify({ title: 'Trim', startsAt: '2030-01-01T10:00:00Z', with: 'z'.repeat(20_000) });
    assertError(await post(big), 413, 'payload_too_large');

    const ok = await post(JSON.stringify({ title: '  Beard trim ', startsAt: '2030-01-01T10:00:00Z' }));
    assert.equal(ok.status, 201);
    assert.equal(ok.json['title'], 'Beard trim');
    assert.equal(ok.json['with'], null);
  });

  it('checks the token before reading the body', async () => {
    assertError(await call('/appointments', { method: 'POST', body: '{"title": ' }), 401, 'missing_token');
    assertError(await call('/appointments', { method: 'POST', body: 'x'.repeat(20_000) }), 401, 'missing_token');
    const readOnly = await userToken('reader', 'read:appointments');
    assertError(
      await call('/appointments', { method: 'POST', token: readOnly, body: '{"title": ' }),
      403,
      'insufficient_scope',
    );
  });
});

describe('unknown routes', () => {
  it('need a token, then 404 JSON', async () => {
    assertError(await call('/nope'), 401, 'missing_token');
    assertError(await call('/nope', { token: await userToken('lost') }), 404, 'not_found');
  });
});

describe('unexpected errors', () => {
  it('500 server_error without a stack, reported to onError', async () => {
    const reported: unknown[] = [];
    let clockCalls = 0;
    const base = await listen({
      onError: (error) => reported.push(error),
      // The store reads the clock once when built; the next read (seeding a user) throws.
      data: {
        now: () => {
          clockCalls += 1;
          if (clockCalls > 1) throw new Error('clock exploded at /secret/path.ts:1');
          return new Date();
        },
      },
    });
    const reply = await call('/appointments', { base, token: await userToken('unlucky') });
    assertError(reply, 500, 'server_error');
    assert.ok(!reply.text.includes('exploded') && !reply.text.includes('/secret/path'), 'no message or stack');
    assert.equal(reported.length, 1);
  });
});

describe('DemoDataStore bounds', () => {
  it('evicts the least recently used user and caps items per user', () => {
    const store = new DemoDataStore({ maxUsers: 2, maxItemsPerUser: 4 });
    store.createAppointment('u1', { title: 'mine', startsAt: '2030-01-01T00:00:00Z' });
    store.listContacts('u2');
    store.listContacts('u1'); // u1 is now the most recently used
    store.listContacts('u3'); // evicts u2
    assert.equal(store.userCount, 2);
    assert.ok(
      store.listAppointments('u1').some((a) => a.title === 'mine'),
      'u1 kept',
    );

    for (let i = 0; i < 10; i += 1) store.createAppointment('u1', { title: `n${i}`, startsAt: '2030-01-01T00:00:00Z' });
    const titles = store.listAppointments('u1').map((a) => a.title);
    assert.equal(titles.length, 4);
    assert.deepEqual(new Set(titles), new Set(['n6', 'n7', 'n8', 'n9']));
  });

  it("keeps the audit log bounded and only today's counters", () => {
    let now = new Date('2030-01-01T23:59:00Z');
    const store = new DemoDataStore({ maxAuditEntries: 5, now: () => now });
    for (let i = 0; i < 20; i += 1) store.createAppointment('u', { title: 't', startsAt: '2030-01-02T00:00:00Z' });
    assert.equal(store.auditLog(100).length, 5);
    assert.equal(store.dailyStatistics().appointmentsBooked, 20);
    now = new Date('2030-01-02T00:01:00Z');
    assert.deepEqual(
      { ...store.dailyStatistics(), activeUsers: 0 },
      { date: '2030-01-02', appointmentsBooked: 0, cancellations: 0, newContacts: 0, activeUsers: 0 },
    );
  });
});

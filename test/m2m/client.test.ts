/**
 * ClientCredentialsTokens (RFC 6749 §4.4) against the embedded demo provider
 * and demo API over real HTTP: the cache, single flight, renewal inside the
 * margin, the target parameters, client authentication, and a provider that
 * goes down. A tiny loopback stub stands in only where the embedded provider
 * cannot show what travelled (a strict auth method, `organization`) or fail
 * on demand (discovery).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DEMO_API_AUDIENCE, DEMO_M2M_CLIENT, DEMO_M2M_SCOPE } from '../../src/config/config.js';
import { M2mApiClient } from '../../src/m2m/api-client.js';
import { ClientCredentialsTokens, type ClientCredentialsOptions } from '../../src/m2m/client.js';
import { M2mTokenError } from '../../src/m2m/errors.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startM2mBackends, type M2mBackends } from '../helpers/m2m-backends.js';
import { assertTypedError } from '../helpers/m2m-errors.js';
import { startTokenStub, type TokenStub } from '../helpers/m2m-token-stub.js';

const SECRET: string = DEMO_M2M_CLIENT.clientSecret;

async function callApi(
  backends: M2mBackends,
  path: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${backends.apiUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('client credentials against the embedded provider (Auth0 style: audience + client_secret_post)', () => {
  let backends: M2mBackends;
  before(async () => {
    backends = await startM2mBackends();
  });
  after(() => backends.close());

  test('the first call fetches a token, the next 100 come from the cache (one request at the provider)', async () => {
    const grantsBefore = backends.m2mGrants();
    const m2m = backends.tokens();
    const first = await m2m.getToken();
    assert.equal(backends.m2mGrants() - grantsBefore, 1);
    for (let i = 0; i < 100; i += 1) {
      const again = await m2m.getToken();
      assert.equal(again.accessToken, first.accessToken);
    }
    assert.equal(backends.m2mGrants() - grantsBefore, 1, 'exactly one token request reached the provider');
    const stats = m2m.stats();
    assert.equal(stats.tokenRequests, 1);
    assert.equal(stats.cacheHits, 100);
    assert.equal(first.tokenType, 'bearer');
    assert.equal(first.grantedScope, DEMO_M2M_SCOPE);
    assert.equal(Math.round((first.expiresAt - first.issuedAt) / 1000), backends.config.demo?.m2mTokenTtlSeconds);
    // Default margin for a 600 s token: 60 s.
    assert.equal(first.expiresAt - first.renewAt, 60_000);

    const report = await callApi(backends, '/reports/daily', first.accessToken);
    assert.equal(report.status, 200);
    assert.equal(report.body['generatedFor'], DEMO_M2M_CLIENT.clientId);
  });

  test('50 concurrent cold calls share one token request', async () => {
    const grantsBefore = backends.m2mGrants();
    const m2m = backends.tokens();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => m2m.getToken()));
    assert.equal(backends.m2mGrants() - grantsBefore, 1);
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    const stats = m2m.stats();
    assert.equal(stats.tokenRequests, 1);
    assert.equal(stats.coalesced, 49);
  });

  test('inside the renewal margin exactly one renewal happens, shared by concurrent callers', async () => {
    let clock = Date.now();
    const m2m = backends.tokens({ now: () => clock });
    const grantsBefore = backends.m2mGrants();
    const first = await m2m.getToken();

    clock = first.renewAt - 1_000; // just before the margin: still the cache
    assert.equal((await m2m.getToken()).accessToken, first.accessToken);
    assert.equal(backends.m2mGrants() - grantsBefore, 1);

    clock = first.renewAt + 1_000; // inside the margin, not expired
    const renewed = await Promise.all(Array.from({ length: 20 }, () => m2m.getToken()));
    assert.equal(backends.m2mGrants() - grantsBefore, 2, 'one renewal at the provider');
    assert.equal(new Set(renewed.map((t) => t.accessToken)).size, 1);
    const fresh = renewed[0];
    assert.ok(fresh && fresh.accessToken !== first.accessToken);
    assert.ok(fresh.renewAt > clock, 'the renewed token is fresh again');
    for (let i = 0; i < 10; i += 1) await m2m.getToken();
    assert.equal(backends.m2mGrants() - grantsBefore, 2);
    const stats = m2m.stats();
    assert.equal(stats.renewals, 1);
    assert.equal(stats.tokenRequests, 2);
  });

  test('audience is sent as configured: the token is for the API, and an unknown audience is refused', async () => {
    const m2m = backends.tokens({ audience: DEMO_API_AUDIENCE, resource: undefined });
    const token = await m2m.getToken();
    assert.equal(decodeJwt(token.accessToken).aud, DEMO_API_AUDIENCE);
    const me = await callApi(backends, '/me', token.accessToken);
    assert.equal(me.status, 200);
    assert.equal(me.body['aud'], DEMO_API_AUDIENCE);
    assert.equal(me.body['kind'], 'machine');

    const wrong = backends.tokens({ audience: 'https://not-this-api.example/', resource: undefined });
    await assert.rejects(wrong.getToken(), (err) => assertTypedError(err, 'm2m_invalid_target'));
  });

  test('resource (RFC 8707) is sent as configured: the token is for the API, and an unknown resource is refused', async () => {
    const m2m = backends.tokens({ audience: undefined, resource: DEMO_API_AUDIENCE });
    const token = await m2m.getToken();
    assert.equal(token.resource, DEMO_API_AUDIENCE);
    const me = await callApi(backends, '/me', token.accessToken);
    assert.equal(me.body['aud'], DEMO_API_AUDIENCE);

    const wrong = backends.tokens({ audience: undefined, resource: 'https://not-this-api.example/' });
    await assert.rejects(wrong.getToken(), (err) => assertTypedError(err, 'm2m_invalid_target'));
  });

  test('a different scope gets its own cache entry; scope order does not matter', async () => {
    const grantsBefore = backends.m2mGrants();
    const m2m = backends.tokens();
    const reports = await m2m.getToken();
    const none = await m2m.getToken({ scope: '' });
    assert.notEqual(none.accessToken, reports.accessToken);
    assert.equal(backends.m2mGrants() - grantsBefore, 2);
    assert.equal((await m2m.getToken()).accessToken, reports.accessToken);
    assert.equal((await m2m.getToken({ scope: '' })).accessToken, none.accessToken);
    assert.equal(backends.m2mGrants() - grantsBefore, 2);
    const state = await m2m.cacheState();
    assert.deepEqual(state.entries.map((e) => e.requestedScope).sort(), ['', DEMO_M2M_SCOPE]);
    assert.equal(await m2m.cacheKey({ scope: 'b a a' }), await m2m.cacheKey({ scope: 'a  b' }));
    assert.notEqual(await m2m.cacheKey({ scope: 'a' }), await m2m.cacheKey({ scope: 'a', organization: 'org_1' }));

    // The token without read:reports cannot read the report.
    const refused = await callApi(backends, '/reports/daily', none.accessToken);
    assert.equal(refused.status, 403);
    assert.equal(refused.body['error'], 'insufficient_scope');
  });

  test('a wrong secret is a clear typed error that never contains the secret', async () => {
    const wrongSecret = 'wrong-secret-9f8e7d6c5b4a';
    for (const authMethod of ['client_secret_post', 'client_secret_basic'] as const) {
      const m2m = backends.tokens({ clientSecret: wrongSecret, authMethod });
      await assert.rejects(m2m.getToken(), (err) => {
        assertTypedError(err, 'm2m_invalid_client', wrongSecret);
        assert.ok(err instanceof M2mTokenError);
        assert.equal(err.status, 502);
        assert.equal(err.oauthError, 'invalid_client');
        assert.match(err.message, /M2M_CLIENT_SECRET/);
        assert.match(err.message, new RegExp(authMethod));
        return true;
      });
      assert.equal(m2m.stats().failures, 1);
    }
  });

  test('logs say what happened and never contain the token or the secret', async () => {
    const { logger, raw: lines } = captureLogs();
    const m2m = backends.tokens({ logger });
    const token = await m2m.getToken();
    await m2m.getToken();
    await assert.rejects(backends.tokens({ clientSecret: 'bad-secret-0123456789', logger }).getToken());
    const all = lines.join('\n');
    assert.match(all, /m2m token obtained/);
    assert.match(all, /m2m token request failed/);
    assert.ok(!all.includes(token.accessToken));
    assert.ok(!all.includes(SECRET));
    assert.ok(!all.includes('bad-secret-0123456789'));
  });
});

describe('client authentication methods', () => {
  for (const registered of ['client_secret_basic', 'client_secret_post'] as const) {
    const other = registered === 'client_secret_basic' ? 'client_secret_post' : 'client_secret_basic';
    test(`${registered} works against a provider client registered for it; ${other} is a clear error`, async () => {
      const backends = await startM2mBackends({ M2M_AUTH_METHOD: registered });
      try {
        assert.equal(backends.m2m.authMethod, registered);
        const token = await backends.tokens().getToken();
        assert.equal((await callApi(backends, '/reports/daily', token.accessToken)).status, 200);
        await assert.rejects(backends.tokens({ authMethod: other }).getToken(), (err) => {
          assertTypedError(err, 'm2m_invalid_client');
          assert.match((err as Error).message, new RegExp(`M2M_AUTH_METHOD \\(this app sends ${other}\\)`));
          return true;
        });
      } finally {
        await backends.close();
      }
    });
  }

  // The stub shows what actually travelled on the wire for each method.
  for (const registered of ['client_secret_basic', 'client_secret_post'] as const) {
    test(`a strict provider requiring ${registered}: the right method works, the wrong one is a clear error`, async () => {
      const secret = 'stub-secret-a1b2c3d4e5';
      const stub = await startTokenStub({ clientId: 'svc', clientSecret: secret, authMethod: registered });
      try {
        const settings = {
          issuer: stub.issuer,
          clientId: 'svc',
          clientSecret: secret,
          allowInsecureRequests: true,
          scope: 'read:x',
        };
        const right = new ClientCredentialsTokens({
          ...settings,
          authMethod: registered,
          audience: 'https://api.example/',
        });
        await right.getToken();
        const wrongMethod = registered === 'client_secret_basic' ? 'client_secret_post' : 'client_secret_basic';
        const wrong = new ClientCredentialsTokens({
          ...settings,
          authMethod: wrongMethod,
          resource: 'https://api.example/',
        });
        await assert.rejects(wrong.getToken(), (err) => {
          assertTypedError(err, 'm2m_invalid_client', secret);
          assert.match((err as Error).message, new RegExp(`sends ${wrongMethod}`));
          return true;
        });
        // What actually travelled: Basic header vs form body, and audience vs resource as configured.
        const [ok, refused] = stub.requests;
        assert.equal(ok?.via, registered === 'client_secret_basic' ? 'basic' : 'post');
        assert.deepEqual(ok?.params, {
          grant_type: 'client_credentials',
          scope: 'read:x',
          audience: 'https://api.example/',
        });
        assert.equal(refused?.via, registered === 'client_secret_basic' ? 'post' : 'basic');
        assert.deepEqual(refused?.params, {
          grant_type: 'client_credentials',
          scope: 'read:x',
          resource: 'https://api.example/',
        });
      } finally {
        await stub.close();
      }
    });
  }
});

describe('what only a stub can show', () => {
  const secret = 'stub-secret-zyxwvu987654';
  const options = (stub: TokenStub): ClientCredentialsOptions => ({ ...stub.client, organization: 'org_123' });

  test('organization is sent when configured (Auth0 Organizations)', async () => {
    const stub = await startTokenStub({ clientId: 'svc', clientSecret: secret, authMethod: 'client_secret_post' });
    try {
      await new ClientCredentialsTokens(options(stub)).getToken();
      assert.equal(stub.requests.at(-1)?.params['organization'], 'org_123');
    } finally {
      await stub.close();
    }
  });

  test('a failed discovery is retried on the next call', async () => {
    const flaky = await startTokenStub({
      clientId: 'svc',
      clientSecret: secret,
      authMethod: 'client_secret_post',
      discoveryFailures: 1,
    });
    try {
      const m2m = new ClientCredentialsTokens(options(flaky));
      await assert.rejects(m2m.getToken(), (err) => assertTypedError(err, 'm2m_provider_unavailable', secret));
      const token = await m2m.getToken();
      assert.match(token.accessToken, /^stub-/);
      assert.equal(m2m.stats().failures, 1);
      assert.equal(m2m.stats().tokenRequests, 1);
    } finally {
      await flaky.close();
    }
  });
});

describe('provider down', () => {
  test('a cached valid token keeps the calls working while the provider is down, until it expires', async () => {
    const backends = await startM2mBackends();
    try {
      let clock = Date.now();
      const m2m = backends.tokens({ now: () => clock });
      const api = new M2mApiClient({ tokens: m2m, baseUrl: backends.config.api.baseUrl });
      const first = await api.call('GET', '/reports/daily'); // also warms the API's JWKS cache
      assert.equal(first.status, 200);
      const token = await m2m.getToken();

      await backends.stopProvider();
      assert.equal((await api.call('GET', '/reports/daily')).status, 200, 'fresh cached token: no provider needed');

      clock = token.renewAt + 5_000; // renewal due, provider down
      const during = await Promise.all(Array.from({ length: 5 }, () => api.call('GET', '/reports/daily')));
      assert.ok(
        during.every((r) => r.status === 200),
        'still served with the valid cached token',
      );
      let stats = m2m.stats();
      assert.equal(stats.failures, 1, 'one failed renewal attempt, shared by the concurrent calls');
      assert.equal(stats.lastError?.code, 'm2m_provider_unavailable');
      assert.equal((await m2m.getToken()).accessToken, token.accessToken);
      assert.equal(m2m.stats().failures, 1, 'no new attempt within the retry delay');

      clock += 6_000; // past the retry delay: one more attempt, still served
      assert.equal((await m2m.getToken()).accessToken, token.accessToken);
      assert.equal(m2m.stats().failures, 2);

      clock = token.expiresAt + 1; // the token itself is gone: now it is an error
      await assert.rejects(m2m.getToken(), (err) => assertTypedError(err, 'm2m_provider_unavailable'));
      stats = m2m.stats();
      assert.equal(stats.failures, 3);
      assert.equal(stats.servedAfterFailedRenewal, 3);
    } finally {
      await backends.close();
    }
  });
});

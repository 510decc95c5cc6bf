/**
 * M2mApiClient: calls the demo API with the client-credentials token, drops a
 * token the API rejects (401 invalid_token, RFC 6750 §3.1) and retries once,
 * and keeps every path inside the configured API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_API_AUDIENCE, DEMO_M2M_CLIENT, DEMO_M2M_SCOPE } from '../../src/config/config.js';
import { M2mApiClient } from '../../src/m2m/api-client.js';
import { MemoryM2mTokenCache } from '../../src/m2m/cache.js';
import { startM2mBackends, type M2mBackends } from '../helpers/m2m-backends.js';

describe('M2mApiClient against the demo API', () => {
  let backends: M2mBackends;
  before(async () => {
    backends = await startM2mBackends();
  });
  after(() => backends.close());

  test('a 401 invalid_token from the API drops the cached token and retries once', async () => {
    let clock = Date.now();
    const cache = new MemoryM2mTokenCache({ now: () => clock });
    const m2m = backends.tokens({ cache, now: () => clock });
    const key = await m2m.cacheKey();
    // A token the API will not accept (as after a key rotation at the provider), cached as fresh.
    await cache.set(
      key,
      {
        accessToken: 'eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl',
        tokenType: 'bearer',
        grantedScope: DEMO_M2M_SCOPE,
        requestedScope: DEMO_M2M_SCOPE,
        audience: DEMO_API_AUDIENCE,
        resource: undefined,
        organization: undefined,
        issuedAt: clock,
        expiresAt: clock + 600_000,
        renewAt: clock + 540_000,
      },
      600,
    );
    const grantsBefore = backends.m2mGrants();
    const api = new M2mApiClient({ tokens: m2m, baseUrl: backends.config.api.baseUrl });
    const result = await api.call('GET', '/reports/daily');
    assert.equal(result.status, 200);
    assert.equal(result.retried, true);
    assert.equal((result.body as Record<string, unknown>)['generatedFor'], DEMO_M2M_CLIENT.clientId);
    assert.equal(backends.m2mGrants() - grantsBefore, 1);
    assert.equal(m2m.stats().invalidations, 1);

    // A 403 is not retried: a new token would not change it.
    const other = await api.call('GET', '/appointments');
    assert.equal(other.status, 403);
    assert.equal(other.retried, false);
    assert.equal((other.body as Record<string, unknown>)['error'], 'user_token_required');
    assert.equal(backends.m2mGrants() - grantsBefore, 1);
    clock += 1;
  });

  test('the API client keeps paths inside the API and refuses odd methods', async () => {
    const api = new M2mApiClient({ tokens: backends.tokens(), baseUrl: backends.config.api.baseUrl });
    await assert.rejects(api.call('GET', '/../../etc/passwd'), { code: 'invalid_path' });
    await assert.rejects(api.call('GET', '//evil.example/x'), { code: 'invalid_path' });
    await assert.rejects(api.call('TRACE', '/reports/daily'), { code: 'invalid_method' });
  });
});

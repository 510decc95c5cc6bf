/**
 * How a failed token request becomes an M2mTokenError: each OAuth error of the
 * token endpoint (RFC 6749 §5.2), 5xx, 429 and an unreachable provider, from a
 * loopback stub (the embedded provider cannot answer these on demand) that
 * also echoes the secret, which must never reach the error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientCredentialsTokens, type ClientCredentialsOptions } from '../../src/m2m/client.js';
import type { M2mTokenError } from '../../src/m2m/errors.js';
import { assertTypedError } from '../helpers/m2m-errors.js';
import { startTokenStub, type TokenStub } from '../helpers/m2m-token-stub.js';

describe('token endpoint errors → M2mTokenError', () => {
  const secret = 'stub-secret-zyxwvu987654';
  let stub: TokenStub;
  const options = (): ClientCredentialsOptions => ({
    ...stub.client,
    audience: 'https://api.example/',
    scope: 'read:x',
  });
  before(async () => {
    stub = await startTokenStub({ clientId: 'svc', clientSecret: secret, authMethod: 'client_secret_post' });
  });
  after(() => stub.close());

  const cases = [
    { error: 'unauthorized_client', status: 400, code: 'm2m_unauthorized_client', httpStatus: 502 },
    { error: 'access_denied', status: 403, code: 'm2m_unauthorized_client', httpStatus: 502 },
    { error: 'invalid_scope', status: 400, code: 'm2m_invalid_scope', httpStatus: 502 },
    { error: 'server_error', status: 500, code: 'm2m_provider_unavailable', httpStatus: 503 },
    { error: 'temporarily_unavailable', status: 503, code: 'm2m_provider_unavailable', httpStatus: 503 },
    { error: 'too_many_requests', status: 429, code: 'm2m_provider_unavailable', httpStatus: 503 },
    { error: 'invalid_grant', status: 400, code: 'm2m_failed', httpStatus: 502 },
  ] as const;
  for (const c of cases) {
    test(`${c.error} → ${c.code} (${c.httpStatus})`, async () => {
      // The stub echoes the secret in its description: the error must still not carry it.
      stub.answer(() => ({ status: c.status, body: { error: c.error, error_description: `nope (${secret})` } }));
      const m2m = new ClientCredentialsTokens(options());
      await assert.rejects(m2m.getToken(), (err) => {
        assertTypedError(err, c.code, secret);
        assert.equal((err as M2mTokenError).status, c.httpStatus);
        if (c.status < 500) {
          // openid-client parses OAuth error bodies of 4xx answers only (RFC 6749 §5.2 uses 400/401).
          assert.equal((err as M2mTokenError).details['error'], c.error);
          assert.match((err as M2mTokenError).details['description'] ?? '', /\[redacted\]/);
        }
        return true;
      });
      assert.equal(m2m.stats().lastError?.code, c.code);
      stub.answer(null);
    });
  }

  test('a provider that is not listening → m2m_provider_unavailable (503, Retry-After)', async () => {
    const m2m = new ClientCredentialsTokens({ ...options(), issuer: new URL('http://127.0.0.1:9/') });
    await assert.rejects(m2m.getToken(), (err) => {
      assertTypedError(err, 'm2m_provider_unavailable', secret);
      assert.equal((err as M2mTokenError).status, 503);
      assert.equal((err as M2mTokenError).headers['Retry-After'], '5');
      return true;
    });
  });
});

/**
 * Log redaction: credentials are censored wherever a log call puts them
 * (top level or nested under any key), and nothing else is: an error's
 * `code` is what an operator searches for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureLogs } from './helpers/log-capture.js';

const SECRET = 'eyJhbGciOiJSUzI1NiJ9.secret-value.signature';

describe('log redaction', () => {
  it('censors token fields nested under any key, one or two levels down', () => {
    const { logger, lines } = captureLogs();
    logger.info({ tokens: { accessToken: SECRET, refreshToken: SECRET, idToken: SECRET } }, 'nested');
    logger.info({ response: { access_token: SECRET, refresh_token: SECRET, id_token: SECRET } }, 'nested snake');
    logger.info({ outcome: { tokens: { accessToken: SECRET } } }, 'two levels');
    logger.info({ client: { clientSecret: SECRET }, accessToken: SECRET }, 'mixed');
    const text = JSON.stringify(lines());
    assert.ok(!text.includes('secret-value'), text);
    assert.equal((lines()[0]?.tokens as Record<string, string>).accessToken, '[redacted]');
  });

  it("censors the callback's authorization code by exact path, and keeps every error code", () => {
    const { logger, lines } = captureLogs();
    logger.info({ query: { code: SECRET, state: 'abc' } }, 'callback query');
    logger.info({ req: { query: { code: SECRET } } }, 'callback request');
    logger.warn(
      { code: 'invalid_state' },
      'This sign-in response does not belong to a sign-in started in this browser',
    );
    logger.error({ code: 'upstream_timeout', err: { code: 'UND_ERR_CONNECT_TIMEOUT' } }, 'request failed');
    const [query, request, warning, failure] = lines();
    assert.equal((query?.query as Record<string, string>).code, '[redacted]');
    assert.equal((query?.query as Record<string, string>).state, 'abc');
    assert.equal(((request?.req as Record<string, unknown>).query as Record<string, string>).code, '[redacted]');
    assert.equal(warning?.code, 'invalid_state');
    assert.equal(failure?.code, 'upstream_timeout');
    assert.equal((failure?.err as Record<string, string>).code, 'UND_ERR_CONNECT_TIMEOUT');
  });
});

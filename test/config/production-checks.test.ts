/**
 * What production mode refuses or warns about in the transport settings
 * (src/config/production-checks.ts): a plain-http BASE_URL, an https BASE_URL
 * without a trusted proxy, plaintext Redis across the network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'client',
  OIDC_CLIENT_SECRET: 'client-secret',
  SESSION_SECRET: 'x'.repeat(32),
  API_BASE_URL: 'https://api.example.com/',
  BASE_URL: 'https://app.example.com',
  TRUST_PROXY: '1',
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.join('\n');
  }
  return '';
}

describe('production checks', () => {
  it('accepts an https BASE_URL behind a trusted proxy without a warning', () => {
    const config = loadConfig(PRODUCTION);
    assert.deepEqual(config.warnings, []);
    assert.equal(config.session.cookieName, '__Host-sid');
  });

  it('refuses an http BASE_URL on a real host (no Secure cookie, no __Host- prefix, no HSTS)', () => {
    assert.match(problemsOf({ ...PRODUCTION, BASE_URL: 'http://app.example.com' }), /BASE_URL: must use https/);
    assert.match(problemsOf({ ...PRODUCTION, BASE_URL: 'http://10.0.0.5:3000' }), /BASE_URL: must use https/);
  });

  it('allows an http BASE_URL on loopback (local trials, test rigs), with a warning', () => {
    for (const base of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000']) {
      const config = loadConfig({ ...PRODUCTION, BASE_URL: base, TRUST_PROXY: '0' });
      assert.equal(config.warnings.length, 1, base);
      assert.match(config.warnings[0] ?? '', /BASE_URL is http/);
    }
  });

  it('refuses an http issuer that is not loopback', () => {
    assert.match(
      problemsOf({ ...PRODUCTION, OIDC_ISSUER: 'http://idp.example.com' }),
      /OIDC_ISSUER: http is allowed only/,
    );
  });

  it('warns when BASE_URL is https but TRUST_PROXY=0: every login would fail with invalid_state', () => {
    const config = loadConfig({ ...PRODUCTION, TRUST_PROXY: '0' });
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0] ?? '', /TRUST_PROXY/);
    assert.match(config.warnings[0] ?? '', /invalid_state/);
  });

  it('refuses plaintext redis:// to another host unless REDIS_ALLOW_PLAINTEXT=true', () => {
    assert.match(
      problemsOf({ ...PRODUCTION, REDIS_URL: 'redis://redis.internal:6379' }),
      /REDIS_URL: use rediss:\/\/ .*REDIS_ALLOW_PLAINTEXT=true/,
    );
    const allowedCases: Array<Record<string, string>> = [
      { REDIS_URL: 'rediss://redis.internal:6380' },
      { REDIS_URL: 'redis://127.0.0.1:6379' },
      { REDIS_URL: 'redis://localhost:6379' },
      { REDIS_URL: 'redis://redis.internal:6379', REDIS_ALLOW_PLAINTEXT: 'true' },
    ];
    // Production with Redis also needs the token encryption key (checked in config.test.ts).
    const key = { TOKEN_ENCRYPTION_KEY: 'a'.repeat(64) };
    for (const allowed of allowedCases) {
      assert.equal(problemsOf({ ...PRODUCTION, ...key, ...allowed }), '', JSON.stringify(allowed));
    }
  });

  it('leaves development alone: an http BASE_URL on any host is fine there', () => {
    const { NODE_ENV: _production, ...development } = PRODUCTION;
    assert.equal(problemsOf({ ...development, BASE_URL: 'http://app.example.com', REDIS_URL: 'redis://r:6379' }), '');
  });
});

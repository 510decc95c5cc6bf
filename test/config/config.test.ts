import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_API_AUDIENCE, loadConfig } from '../../src/config/config.js';
import { problemsOf } from '../helpers/config-problems.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'abc',
  OIDC_CLIENT_SECRET: 'shh-this-is-secret',
  API_BASE_URL: 'https://api.example.com/',
  BASE_URL: 'https://app.example.com',
  SESSION_SECRET: 'x'.repeat(40),
};

describe('TOKEN_ENCRYPTION_KEY', () => {
  const hex = 'ab'.repeat(32);
  const base64url = Buffer.alloc(32, 7).toString('base64url');

  it('is required in production with Redis, and only there', () => {
    assert.ok(
      problemsOf({ ...PRODUCTION, REDIS_URL: 'rediss://redis.example.com' }).some((p) =>
        p.startsWith('TOKEN_ENCRYPTION_KEY: required'),
      ),
    );
    assert.equal(loadConfig(PRODUCTION).session.redisUrl, undefined);
    const development = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(development.session.ephemeralTokenKey, true);
    assert.match(development.session.tokenEncryptionKeys[0] ?? '', /^[0-9a-f]{64}$/);
  });

  it('accepts `openssl rand -hex 32` and base64url keys, a comma-separated list rotates (first encrypts)', () => {
    const config = loadConfig({
      ...PRODUCTION,
      REDIS_URL: 'rediss://redis.example.com',
      TOKEN_ENCRYPTION_KEY: ` ${hex.toUpperCase()} , ${base64url}`,
    });
    assert.deepEqual(config.session.tokenEncryptionKeys, [hex, Buffer.alloc(32, 7).toString('hex')]);
    assert.equal(config.session.ephemeralTokenKey, false);
  });

  it('refuses a key of the wrong size without printing it', () => {
    for (const bad of ['ab'.repeat(16), 'not-a-key', `${hex},${'cd'.repeat(31)}`]) {
      const problems = problemsOf({ ...PRODUCTION, TOKEN_ENCRYPTION_KEY: bad });
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0] ?? '', /^TOKEN_ENCRYPTION_KEY: each key must be 32 bytes/);
      assert.ok(!problems[0]?.includes(bad));
    }
  });
});

describe('loadConfig', () => {
  it('runs in demo mode with no provider configured, with working defaults', () => {
    const config = loadConfig({});
    assert.ok(config.demo);
    assert.equal(config.port, 3000);
    assert.equal(config.baseUrl.href, 'http://localhost:3000/');
    assert.equal(config.redirectUri, 'http://localhost:3000/callback');
    assert.equal(config.postLogoutRedirectUri, 'http://localhost:3000/');
    assert.equal(config.oidc.issuer.href, 'http://127.0.0.1:3001/');
    assert.equal(config.oidc.resource, DEMO_API_AUDIENCE);
    assert.equal(config.oidc.authMethod, 'client_secret_basic');
    assert.match(config.oidc.scope, /\bopenid\b.*\boffline_access\b/);
    assert.equal(config.api.baseUrl.href, 'http://127.0.0.1:3002/');
    assert.equal(config.session.cookieName, 'sid');
    assert.equal(config.session.secureCookie, false);
    assert.ok(config.session.ephemeralSecret);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.oidc));
  });

  it('configures an Auth0-style provider with audience and client_secret_post', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'https://tenant.example.auth0.com/',
      OIDC_CLIENT_ID: 'abc',
      OIDC_CLIENT_SECRET: 'shh-this-is-secret',
      OIDC_AUTH_METHOD: 'client_secret_post',
      OIDC_AUDIENCE: 'https://api.example.com',
      API_BASE_URL: 'https://api.example.com/v1',
      BASE_URL: 'https://app.example.com',
      SESSION_SECRET: 'x'.repeat(40),
    });
    assert.equal(config.demo, null);
    assert.equal(config.oidc.audience, 'https://api.example.com');
    assert.equal(config.oidc.resource, undefined);
    assert.equal(config.oidc.prompt, undefined);
    assert.equal(config.oidc.scope, 'openid profile email offline_access');
    assert.equal(config.api.baseUrl.href, 'https://api.example.com/v1/');
    assert.equal(config.session.cookieName, '__Host-sid');
    assert.equal(config.session.secureCookie, true);
    assert.equal(config.oidc.allowInsecureRequests, false);
  });

  it('lists every problem at once and never prints a secret', () => {
    const secret = 'short-secret-value';
    const problems = problemsOf({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'http://idp.example.com',
      OIDC_CLIENT_SECRET: secret,
      SESSION_SECRET: secret,
      OIDC_AUDIENCE: 'a',
      OIDC_RESOURCE: 'https://b.example',
      PORT: 'not-a-port',
    });
    const text = problems.join('\n');
    assert.match(text, /PORT/);
    assert.ok(!text.includes(secret));
    const again = problemsOf({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'http://idp.example.com',
      OIDC_CLIENT_SECRET: secret,
      SESSION_SECRET: secret,
      OIDC_AUDIENCE: 'a',
      OIDC_RESOURCE: 'https://b.example',
    }).join('\n');
    for (const expected of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'SESSION_SECRET', 'OIDC_AUDIENCE and OIDC_RESOURCE']) {
      assert.ok(again.includes(expected), `expected a problem about ${expected} in:\n${again}`);
    }
    assert.ok(!again.includes(secret));
  });

  it('requires SESSION_SECRET and a real provider in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' }).join('\n');
    assert.match(problems, /SESSION_SECRET: required in production/);
    assert.match(problems, /OIDC_ISSUER: required in production/);
  });

  it('accepts an http issuer only on loopback', () => {
    assert.doesNotThrow(() =>
      loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:8080/realms/demo', OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'b' }),
    );
    assert.match(
      problemsOf({
        OIDC_ISSUER: 'http://keycloak.internal/realms/demo',
        OIDC_CLIENT_ID: 'a',
        OIDC_CLIENT_SECRET: 'b',
      }).join(),
      /OIDC_ISSUER: http is allowed only for a loopback issuer/,
    );
  });

  it('rotates session secrets from a comma-separated list', () => {
    const config = loadConfig({ SESSION_SECRET: `${'a'.repeat(32)},${'b'.repeat(32)}` });
    assert.deepEqual(config.session.secrets, ['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('configures Logto-style machine-to-machine calls', () => {
    const config = loadConfig({
      M2M_ISSUER: 'https://tenant.logto.app/oidc',
      M2M_CLIENT_ID: 'm2m',
      M2M_CLIENT_SECRET: 'secret',
      M2M_RESOURCE: 'https://shopping.api',
      M2M_SCOPE: 'read:products write:products',
      M2M_AUTH_METHOD: 'client_secret_basic',
    });
    assert.equal(config.m2m?.issuer.href, 'https://tenant.logto.app/oidc');
    assert.equal(config.m2m?.resource, 'https://shopping.api');
    assert.equal(config.m2m?.authMethod, 'client_secret_basic');
    assert.equal(config.m2m?.dpop, false, 'M2M_DPOP is off by default');
  });

  it('DEMO_CLIENT_PROFILE=fapi turns on PAR, private_key_jwt and DPoP in demo mode; explicit values win', () => {
    const fapi = loadConfig({ DEMO_CLIENT_PROFILE: 'fapi' });
    assert.equal(fapi.oidc.par, 'on');
    assert.equal(fapi.oidc.authMethod, 'private_key_jwt');
    assert.equal(fapi.oidc.clientSecret, undefined);
    assert.equal(fapi.oidc.dpop, true);
    assert.equal(fapi.m2m?.authMethod, 'private_key_jwt');
    assert.equal(fapi.m2m?.dpop, true);
    assert.equal(fapi.clientKeys?.ephemeral, true, 'demo mode makes the key');

    const mixed = loadConfig({ DEMO_CLIENT_PROFILE: 'fapi', OIDC_DPOP: 'off', M2M_AUTH_METHOD: 'client_secret_basic' });
    assert.equal(mixed.oidc.dpop, false);
    assert.equal(mixed.m2m?.authMethod, 'client_secret_basic');
    assert.equal(mixed.oidc.par, 'on');

    const plain = loadConfig({});
    assert.deepEqual([plain.oidc.par, plain.oidc.authMethod, plain.oidc.dpop], ['auto', 'client_secret_basic', false]);
    assert.ok(
      problemsOf({ ...PRODUCTION, NODE_ENV: 'development', DEMO_CLIENT_PROFILE: 'fapi' }).some((p) =>
        p.startsWith('DEMO_CLIENT_PROFILE:'),
      ),
      'only in demo mode',
    );
  });
});

describe('METRICS_PORT', () => {
  it('is off by default, on loopback unless METRICS_HOST says otherwise, and never the public port', () => {
    assert.equal(loadConfig({}).metrics, null);
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464' }).metrics, { port: 9464, host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics, {
      port: 9464,
      host: '10.0.0.5',
    });
    assert.match(problemsOf({ PORT: '3000', METRICS_PORT: '3000' }).join('\n'), /METRICS_PORT: must differ from PORT/);
  });
});

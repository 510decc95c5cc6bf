/** OIDC_PROVIDER presets, OIDC_AUTHORIZATION_PARAMS and the demo profiles' app defaults. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_API_AUDIENCE, loadConfig } from '../../src/config/config.js';
import { problemsOf } from '../helpers/config-problems.js';

const REAL = { OIDC_ISSUER: 'https://id.example.com', OIDC_CLIENT_ID: 'app', OIDC_CLIENT_SECRET: 'secret-value' };

describe('OIDC_PROVIDER presets', () => {
  it('sets each provider’s defaults, every one overridable by its own variable', () => {
    const google = loadConfig({ ...REAL, OIDC_PROVIDER: 'google' }).oidc;
    assert.equal(google.scope, 'openid profile email');
    assert.equal(google.prompt, 'consent');
    assert.deepEqual(google.authorizationParams, { access_type: 'offline' });
    assert.equal(google.logout, 'local');

    const auth0 = loadConfig({ ...REAL, OIDC_PROVIDER: 'auth0' }).oidc;
    assert.equal(auth0.authMethod, 'client_secret_post');
    assert.equal(auth0.logout, 'auth0');

    const okta = loadConfig({ ...REAL, OIDC_PROVIDER: 'okta' }).oidc;
    assert.equal(okta.logoutIdTokenHint, true);

    const overridden = loadConfig({
      ...REAL,
      OIDC_PROVIDER: 'okta',
      OIDC_AUTH_METHOD: 'client_secret_post',
      OIDC_SCOPE: 'openid',
      OIDC_PROMPT: 'login',
      OIDC_LOGOUT: 'local',
      OIDC_LOGOUT_ID_TOKEN_HINT: 'false',
    }).oidc;
    assert.equal(overridden.authMethod, 'client_secret_post');
    assert.equal(overridden.scope, 'openid');
    assert.equal(overridden.prompt, 'login');
    assert.equal(overridden.logout, 'local');
    assert.equal(overridden.logoutIdTokenHint, false);
  });

  it('is generic when not named, and refuses an unknown name', () => {
    const generic = loadConfig(REAL).oidc;
    assert.equal(generic.provider, 'generic');
    assert.equal(generic.authMethod, 'client_secret_basic');
    assert.equal(generic.logout, 'end-session');
    assert.ok(problemsOf({ ...REAL, OIDC_PROVIDER: 'ping' }).some((p) => p.startsWith('OIDC_PROVIDER')));
  });

  it('lays OIDC_AUTHORIZATION_PARAMS over the preset and refuses what has its own variable', () => {
    const config = loadConfig({ ...REAL, OIDC_PROVIDER: 'google', OIDC_AUTHORIZATION_PARAMS: 'hd=example.com' });
    assert.deepEqual(config.oidc.authorizationParams, { access_type: 'offline', hd: 'example.com' });
    const without = loadConfig({ ...REAL, OIDC_PROVIDER: 'google', OIDC_AUTHORIZATION_PARAMS: 'access_type=' });
    assert.deepEqual(without.oidc.authorizationParams, {});
    for (const reserved of ['redirect_uri=https://evil.test', 'scope=admin', 'prompt=none', 'resource=x', 'a=1&a=2']) {
      const problems = problemsOf({ ...REAL, OIDC_AUTHORIZATION_PARAMS: reserved });
      assert.ok(
        problems.some((p) => p.startsWith('OIDC_AUTHORIZATION_PARAMS')),
        reserved,
      );
      assert.ok(!problems.join().includes('evil.test'), 'values are not echoed');
    }
  });

  it('reads OIDC_ORGANIZATION and OIDC_ALLOWED_TENANTS', () => {
    const config = loadConfig({ ...REAL, OIDC_ORGANIZATION: 'org_123', OIDC_ALLOWED_TENANTS: ' t1 ,t2,, ' });
    assert.equal(config.oidc.organization, 'org_123');
    assert.deepEqual(config.oidc.allowedTenants, ['t1', 't2']);
    assert.ok(problemsOf({ ...REAL, OIDC_ORGANIZATION: 'org 1' }).some((p) => p.startsWith('OIDC_ORGANIZATION')));
  });
});

describe('demo mode with DEMO_PROVIDER_PROFILE', () => {
  it('takes the issuer shape and the API naming from the profile, and the preset from its provider', () => {
    const cases = [
      { profile: 'standard', issuer: 'http://127.0.0.1:3001/', preset: 'generic', resource: DEMO_API_AUDIENCE },
      { profile: 'logto', issuer: 'http://127.0.0.1:3001/oidc', preset: 'logto', resource: DEMO_API_AUDIENCE },
      { profile: 'auth0', issuer: 'http://127.0.0.1:3001/', preset: 'auth0', audience: DEMO_API_AUDIENCE },
      { profile: 'keycloak', issuer: 'http://127.0.0.1:3001/realms/demo', preset: 'keycloak' },
      { profile: 'okta', issuer: 'http://127.0.0.1:3001/oauth2/default', preset: 'okta' },
      { profile: 'google', issuer: 'http://127.0.0.1:3001/', preset: 'google' },
    ];
    for (const expected of cases) {
      const { oidc } = loadConfig({ DEMO_PROVIDER_PROFILE: expected.profile });
      assert.equal(oidc.issuer.href, expected.issuer, expected.profile);
      assert.equal(oidc.provider, expected.preset, expected.profile);
      assert.equal(oidc.resource, expected.resource, expected.profile);
      assert.equal(oidc.audience, expected.audience, expected.profile);
    }
    const entra = loadConfig({ DEMO_PROVIDER_PROFILE: 'entra' }).oidc;
    assert.match(entra.issuer.pathname, /^\/[0-9a-f-]{36}\/v2\.0$/);
    assert.ok(entra.scope.split(' ').includes(`${DEMO_API_AUDIENCE}read:appointments`));
    assert.equal(loadConfig({ DEMO_PROVIDER_PROFILE: 'google' }).oidc.scope, 'openid profile email');
  });
});

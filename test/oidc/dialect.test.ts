/** The dialect rules as plain functions: prompt merging, ID token context, logout style, set-up check. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'openid-client';
import { loadConfig } from '../../src/config/config.js';
import { LoginError } from '../../src/errors.js';
import { checkIdTokenContext } from '../../src/oidc/id-token-checks.js';
import { mergePrompts } from '../../src/oidc/login.js';
import { buildLogoutRedirect } from '../../src/oidc/logout.js';
import { checkProviderSetup } from '../../src/oidc/setup-check.js';

const REAL = { OIDC_ISSUER: 'https://id.example.com', OIDC_CLIENT_ID: 'app', OIDC_CLIENT_SECRET: 'secret-value' };

describe('prompt merging', () => {
  it('adds the visitor’s prompt to the configured one, and lets none stand alone', () => {
    assert.equal(mergePrompts('consent', 'login'), 'login consent');
    assert.equal(mergePrompts('consent', 'consent'), 'consent');
    assert.equal(mergePrompts(undefined, 'login'), 'login');
    assert.equal(mergePrompts('consent', undefined), 'consent');
    assert.equal(mergePrompts(undefined, undefined), undefined);
    assert.equal(mergePrompts('consent', 'none'), 'none');
  });
});

describe('ID token context', () => {
  const plain = { organization: undefined, discoveredIssuer: 'https://id.example.com', allowedTenants: [] };
  const refused = (code: string) => (err: unknown) => err instanceof LoginError && err.code === code;

  it('checks an Auth0 organization by id, or by name lower-cased', () => {
    const claims = { org_id: 'org_abc', org_name: 'acme' };
    assert.deepEqual(checkIdTokenContext(claims, { ...plain, organization: 'org_abc' }), ['organization']);
    assert.deepEqual(checkIdTokenContext(claims, { ...plain, organization: 'ACME' }), ['organization']);
    assert.throws(
      () => checkIdTokenContext(claims, { ...plain, organization: 'org_other' }),
      refused('organization_mismatch'),
    );
    assert.throws(() => checkIdTokenContext({}, { ...plain, organization: 'acme' }), refused('organization_mismatch'));
    assert.deepEqual(checkIdTokenContext({}, plain), []);
  });

  it('refuses every tenant of a {tenantid} issuer unless OIDC_ALLOWED_TENANTS lists it', () => {
    const template = { ...plain, discoveredIssuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' };
    assert.throws(() => checkIdTokenContext({ tid: 't1' }, template), refused('tenant_not_allowed'));
    assert.throws(
      () => checkIdTokenContext({ tid: 't2' }, { ...template, allowedTenants: ['t1'] }),
      refused('tenant_not_allowed'),
    );
    assert.deepEqual(checkIdTokenContext({ tid: 't1' }, { ...template, allowedTenants: ['t1'] }), ['tenant']);
  });
});

describe('logout style', () => {
  const input = {
    idToken: 'header.payload.signature',
    postLogoutRedirectUri: 'https://app.example/',
    clientId: 'app',
    sendIdTokenHint: false,
  };
  const withEndSession = new client.Configuration(
    { issuer: 'https://id.example.com/', end_session_endpoint: 'https://id.example.com/oidc/logout' },
    'app',
  );
  const withoutEndSession = new client.Configuration({ issuer: 'https://tenant.example.com/' }, 'app');

  it('goes to the end-session endpoint with client_id, and the hint only when asked', () => {
    const url = new URL(buildLogoutRedirect(withEndSession, { ...input, style: 'end-session' }));
    assert.equal(url.pathname, '/oidc/logout');
    assert.equal(url.searchParams.get('client_id'), 'app');
    assert.equal(url.searchParams.has('id_token_hint'), false);
    const hinted = new URL(
      buildLogoutRedirect(withEndSession, { ...input, style: 'end-session', sendIdTokenHint: true }),
    );
    assert.equal(hinted.searchParams.get('id_token_hint'), input.idToken);
  });

  it('uses Auth0’s /v2/logout only when configured, never by guessing from the host', () => {
    const auth0 = new URL(buildLogoutRedirect(withoutEndSession, { ...input, style: 'auth0' }));
    assert.equal(
      auth0.href,
      'https://tenant.example.com/v2/logout?client_id=app&returnTo=https%3A%2F%2Fapp.example%2F',
    );
    assert.equal(
      buildLogoutRedirect(withoutEndSession, { ...input, style: 'end-session' }),
      input.postLogoutRedirectUri,
    );
    assert.equal(buildLogoutRedirect(withEndSession, { ...input, style: 'local' }), input.postLogoutRedirectUri);
  });
});

describe('start-up check against discovery and the preset', () => {
  const metadata: client.ServerMetadata = {
    issuer: 'https://id.example.com',
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email'],
  };
  const warningsFor = (env: Record<string, string>, meta: client.ServerMetadata = metadata) =>
    checkProviderSetup(loadConfig({ ...REAL, ...env }).oidc, meta);

  it('warns about OIDC_DPOP=on against a provider that lists no ES256 DPoP proofs, and is off by default', () => {
    const dpopWarning = (w: string) => w.includes('dpop_signing_alg_values_supported');
    assert.equal(loadConfig(REAL).oidc.dpop, false);
    assert.ok(warningsFor({ OIDC_DPOP: 'on' }).some(dpopWarning));
    assert.ok(!warningsFor({ OIDC_DPOP: 'off' }).some(dpopWarning));
    const withDPoP = { ...metadata, dpop_signing_alg_values_supported: ['ES256', 'PS256'] };
    assert.ok(!warningsFor({ OIDC_DPOP: 'on' }, withDPoP).some(dpopWarning));
  });

  it('warns about Logto without a resource: opaque tokens', () => {
    const warnings = warningsFor({ OIDC_PROVIDER: 'logto' });
    assert.ok(warnings.some((w) => w.includes('access tokens will be opaque and your API will refuse them')));
    assert.ok(
      !warningsFor({ OIDC_PROVIDER: 'logto', OIDC_RESOURCE: 'https://api.example/' }).some((w) => w.includes('opaque')),
    );
  });

  it('warns about Google with offline_access, and about an auth method the provider does not list', () => {
    assert.ok(
      warningsFor({ OIDC_PROVIDER: 'google', OIDC_SCOPE: 'openid offline_access' }).some((w) =>
        w.startsWith('Google refuses the offline_access scope'),
      ),
    );
    assert.ok(warningsFor({ OIDC_AUTH_METHOD: 'client_secret_post' }).some((w) => w.startsWith('OIDC_AUTH_METHOD')));
  });

  it('warns when the provider does not list the algorithm the private_key_jwt key signs', () => {
    const settings = {
      ...loadConfig({ ...REAL, OIDC_CLIENT_SECRET: 's' }).oidc,
      authMethod: 'private_key_jwt' as const,
    };
    const rsaOnly = {
      ...metadata,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256'],
    };
    const about = (alg: string) =>
      checkProviderSetup({ ...settings, signingAlg: alg }, rsaOnly).filter((w) => w.includes('signing_alg_values'));
    assert.match(about('ES256')[0] ?? '', /^The client key signs ES256, which is not among .* \(RS256, PS256\)/);
    assert.deepEqual(about('RS256'), []);
  });

  it('warns when end-session logout has no endpoint, and when a tenant template has no allow-list', () => {
    assert.ok(warningsFor({}).some((w) => w.includes('no end_session_endpoint')));
    const template = { ...metadata, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' };
    assert.ok(warningsFor({ OIDC_PROVIDER: 'entra' }, template).some((w) => w.includes('OIDC_ALLOWED_TENANTS')));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiForPath } from '../../src/config/apis.js';
import { DEMO_MANAGEMENT_AUDIENCE, loadConfig } from '../../src/config/config.js';
import { problemsOf } from '../helpers/config-problems.js';

const REAL_PROVIDER = {
  OIDC_ISSUER: 'https://idp.example.com',
  OIDC_CLIENT_ID: 'abc',
  OIDC_CLIENT_SECRET: 'shh-this-is-secret',
  OIDC_RESOURCE: 'https://api.example.com/',
  API_BASE_URL: 'https://api.example.com/',
};

describe('named APIs (API_<NAME>_*)', () => {
  it('mounts each at /api/<name>/ with its own target, scope and token kind; the default API stays at /api/', () => {
    const config = loadConfig({
      ...REAL_PROVIDER,
      M2M_CLIENT_ID: 'machine',
      M2M_CLIENT_SECRET: 'machine-secret',
      API_BILLING_BASE_URL: 'https://billing.example.com/v1',
      API_BILLING_RESOURCE: 'https://billing.example.com/',
      API_BILLING_SCOPE: 'read:invoices',
      API_ADMIN2_BASE_URL: 'https://admin.example.com/',
      API_ADMIN2_AUDIENCE: 'https://admin.example.com/api/',
      API_ADMIN2_TOKEN: 'client',
    });
    const [first, ...named] = config.apis;
    assert.equal(first?.name, 'default');
    assert.equal(first?.mountPath, '/api/');
    assert.equal(first?.resource, 'https://api.example.com/');
    assert.deepEqual(
      named.map((api) => [api.name, api.mountPath, api.baseUrl.href, api.resource, api.audience, api.scope, api.token]),
      [
        [
          'billing',
          '/api/billing/',
          'https://billing.example.com/v1/',
          'https://billing.example.com/',
          undefined,
          'read:invoices',
          'user',
        ],
        [
          'admin2',
          '/api/admin2/',
          'https://admin.example.com/',
          undefined,
          'https://admin.example.com/api/',
          undefined,
          'client',
        ],
      ],
    );
    assert.equal(apiForPath(config.apis, '/api/billing/invoices?x=1')?.name, 'billing');
    assert.equal(apiForPath(config.apis, '/api/billing?x=1')?.name, 'billing');
    assert.equal(apiForPath(config.apis, '/api/billingx/1')?.name, 'default');
    assert.equal(apiForPath(config.apis, '/api/me')?.name, 'default');
  });

  it('demo mode adds the management API as a client API', () => {
    const management = loadConfig({}).apis.find((api) => api.name === 'management');
    assert.equal(management?.token, 'client');
    assert.equal(management?.resource, DEMO_MANAGEMENT_AUDIENCE);
    assert.equal(management?.scope, 'read:clients read:users');
  });

  it('refuses a bad configuration with every problem listed at once, by variable, never a value', () => {
    const { OIDC_RESOURCE: _named, ...unnamed } = REAL_PROVIDER;
    const problems = problemsOf({
      ...unnamed,
      // A second API with user tokens, while neither it nor the default API names its target.
      API_BILLING_BASE_URL: 'https://billing.example.com/',
      API_BILLING_AUDIENCES: 'typo',
      API_REPORTS_BASE_URL: 'not a url',
      API_REPORTS_TOKEN: 'machine',
      API_ADMIN_BASE_URL: 'https://admin.example.com/',
      API_ADMIN_TOKEN: 'client',
      API_BOTH_BASE_URL: 'https://both.example.com/',
      API_BOTH_AUDIENCE: 'x',
      API_BOTH_RESOURCE: 'https://both.example.com/',
      API_ORPHAN_SCOPE: 'read:orphans',
      API_DEFAULT_BASE_URL: 'https://default.example.com/',
      API_lower_BASE_URL: 'https://lower.example.com/',
    });
    const expected = [
      'API_BILLING_AUDIENCES: unknown variable',
      'API_REPORTS_BASE_URL: an http(s) URL',
      'API_REPORTS_TOKEN: one of user, client, user_or_client',
      'API_ADMIN_TOKEN: client needs client credentials',
      'API_BOTH_AUDIENCE and API_BOTH_RESOURCE: set one of them, not both',
      'API_ORPHAN_BASE_URL: required',
      'API_DEFAULT_BASE_URL: "DEFAULT" is the default API',
      'API_lower_BASE_URL: an API name is an upper-case letter',
      'OIDC_AUDIENCE or OIDC_RESOURCE: required when more than one API gets user tokens',
      'API_BILLING_AUDIENCE or API_BILLING_RESOURCE: required when more than one API gets user tokens',
    ];
    for (const start of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(start)),
        `missing "${start}" in:\n${problems.join('\n')}`,
      );
    }
    assert.ok(!problems.some((p) => p.includes('typo') || p.includes('not a url')), 'values are never echoed');
  });

  it('refuses a name that would hide a path of the demo API', () => {
    const problems = problemsOf({ API_ME_BASE_URL: 'https://me.example.com/', API_ME_TOKEN: 'client' });
    assert.ok(problems.some((p) => p.startsWith('API_ME_BASE_URL: /api/me/ is a path of the default API')));
  });

  it('leaves variables of other programs alone (API_KEY is not an API)', () => {
    assert.equal(loadConfig({ ...REAL_PROVIDER, API_KEY: 'abc', API_TOKEN_URL: 'x' }).apis.length, 1);
  });
});

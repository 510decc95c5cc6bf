/**
 * DPoP with several APIs: a named API's token comes from a refresh grant proved with the login's
 * key (RFC 9449 §5), so it is bound to that key too, and the proxy proves every call to that API
 * with it; a client API still gets the app's bearer token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { DEMO_API_AUDIENCE, DEMO_M2M_CLIENT } from '../../src/config/config.js';
import { apiCall, logIn } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { startStack, type Stack } from '../helpers/stack.js';

const BILLING = 'https://billing.demo-api.example/';

describe('DPoP and several APIs', () => {
  let stack: Stack;
  let billing: RecordingApi;
  let audit: RecordingApi;
  const browser = new Browser();

  before(async () => {
    [billing, audit] = await Promise.all([startRecordingApi(), startRecordingApi()]);
    stack = await startStack(
      {
        OIDC_DPOP: 'on',
        API_BILLING_BASE_URL: billing.url,
        API_BILLING_RESOURCE: BILLING,
        API_BILLING_SCOPE: 'read:invoices',
        API_AUDIT_BASE_URL: audit.url,
        API_AUDIT_RESOURCE: DEMO_API_AUDIENCE,
        API_AUDIT_SCOPE: 'read:reports',
        API_AUDIT_TOKEN: 'client',
      },
      { demoProvider: { extraApis: [{ audience: BILLING, userScopes: ['read:invoices'], m2mScopes: [] }] } },
    );
    await logIn(stack, browser);
  });
  after(async () => {
    await stack?.close();
    await Promise.all([billing, audit].map((api) => api?.close()));
  });

  it('sends a named user API its own DPoP-bound token with a proof of the login’s key', async () => {
    assert.equal((await apiCall(browser, stack, '/me')).status, 200, 'the default API (the demo API checks DPoP)');
    assert.equal((await apiCall(browser, stack, '/billing/invoices')).status, 200);
    const headers = billing.requests.at(-1)?.headers ?? {};
    assert.match(String(headers.authorization), /^DPoP /);
    const token = String(headers.authorization).slice('DPoP '.length);
    const claims = decodeJwt(token);
    assert.equal(claims.aud, BILLING);
    const proof = String(headers.dpop);
    const header = decodeProtectedHeader(proof);
    assert.equal(header.typ, 'dpop+jwt');
    const jkt = await calculateJwkThumbprint(header.jwk as JWK);
    assert.equal((claims['cnf'] as { jkt?: string } | undefined)?.jkt, jkt, 'bound to the key that signs the proofs');
    const proofClaims = decodeJwt(proof);
    assert.equal(proofClaims['htm'], 'GET');
    assert.equal(proofClaims['htu'], new URL('invoices', billing.url).href);
  });

  it('sends a client API the app’s bearer token, with no proof', async () => {
    assert.equal((await apiCall(browser, stack, '/audit/reports/daily')).status, 200);
    const headers = audit.requests.at(-1)?.headers ?? {};
    assert.match(String(headers.authorization), /^Bearer /);
    assert.equal(headers.dpop, undefined);
    assert.equal(decodeJwt(String(headers.authorization).slice('Bearer '.length)).sub, DEMO_M2M_CLIENT.clientId);
  });
});

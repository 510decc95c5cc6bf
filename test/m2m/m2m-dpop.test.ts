/**
 * DPoP-bound client-credentials tokens (M2M_DPOP=on, RFC 9449) on the real embedded provider and
 * demo API: the token is bound to the app instance's key, every M2M call (the API client behind
 * the M2M page and the CLI, and the proxy's client APIs) carries a fresh proof of it, the API
 * refuses the token without one, and a demanded nonce costs exactly one retry.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { DEMO_API_AUDIENCE, DEMO_M2M_CLIENT } from '../../src/config/config.js';
import { DPoPKeys } from '../../src/dpop/dpop-key.js';
import { M2mApiClient } from '../../src/m2m/api-client.js';
import type { ClientCredentialsTokens } from '../../src/m2m/client.js';
import { apiCall, logIn } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startRecordingApi, type RecordingApi } from '../helpers/recording-api.js';
import { startStack, type Stack } from '../helpers/stack.js';

const REPORT = '/reports/daily';

function cnfJkt(accessToken: string): unknown {
  return (decodeJwt(accessToken)['cnf'] as { jkt?: unknown } | undefined)?.jkt;
}

/** The DPoP proofs the demo API receives while `work` runs, in order (undefined: none sent). */
async function proofsDuring(stack: Stack, work: () => Promise<unknown>): Promise<Array<string | undefined>> {
  const proofs: Array<string | undefined> = [];
  const record = (req: IncomingMessage) => {
    if (req.url?.startsWith(REPORT)) proofs.push(req.headers.dpop as string | undefined);
  };
  stack.apiServer.on('request', record);
  try {
    await work();
  } finally {
    stack.apiServer.off('request', record);
  }
  return proofs;
}

function m2mOf(stack: Stack): ClientCredentialsTokens {
  assert.ok(stack.services.m2m, 'demo mode configures the M2M client');
  return stack.services.m2m;
}

describe('DPoP-bound client-credentials tokens (M2M_DPOP=on)', () => {
  let stack: Stack;
  let audit: RecordingApi;

  before(async () => {
    audit = await startRecordingApi();
    stack = await startStack({
      M2M_DPOP: 'on',
      API_AUDIT_BASE_URL: audit.url,
      API_AUDIT_RESOURCE: DEMO_API_AUDIENCE,
      API_AUDIT_SCOPE: 'read:reports',
      API_AUDIT_TOKEN: 'client',
    });
  });
  after(async () => {
    await stack?.close();
    await audit?.close();
  });

  it('binds the token to the instance key (token_type DPoP, cnf.jkt); the cache holds no key', async () => {
    const m2m = m2mOf(stack);
    const bound = await m2m.getBoundToken();
    assert.equal(bound.tokenType, 'dpop');
    assert.ok(bound.dpopKey);
    assert.equal(bound.dpopJkt, bound.dpopKey.jkt);
    assert.equal(cnfJkt(bound.accessToken), bound.dpopKey.jkt);
    // What is cached is the token and the thumbprint, never the private key.
    const cached = await m2m.getToken();
    assert.equal(cached.accessToken, bound.accessToken);
    assert.ok(!('dpopKey' in cached));
    assert.ok(!JSON.stringify(cached).includes(String(bound.dpopKey.jwk.d)));
    // One key per instance: a token for another target is bound to the same key.
    const other = await m2m.getBoundToken({ scope: '' });
    assert.notEqual(other.accessToken, bound.accessToken);
    assert.equal(cnfJkt(other.accessToken), bound.dpopKey.jkt);
    assert.equal((await m2m.cacheState()).dpopJkt, bound.dpopKey.jkt);
  });

  it('the API client sends a fresh proof per call; the API refuses the token as Bearer or with another key', async () => {
    const m2m = m2mOf(stack);
    const client = new M2mApiClient({ tokens: m2m, baseUrl: stack.config.api.baseUrl });
    const proofs = await proofsDuring(stack, async () => {
      for (let i = 0; i < 2; i += 1) {
        const result = await client.call('GET', REPORT);
        assert.equal(result.status, 200);
        assert.equal((result.body as Record<string, unknown>)['generatedFor'], DEMO_M2M_CLIENT.clientId);
      }
    });
    assert.equal(proofs.length, 2, 'one request per call: no retry needed');
    const { accessToken, dpopJkt } = await m2m.getBoundToken();
    const jtis = new Set<unknown>();
    for (const proof of proofs) {
      assert.ok(proof);
      const claims = decodeJwt(proof);
      assert.equal(claims['htm'], 'GET');
      assert.equal(claims['htu'], `${stack.apiUrl}${REPORT}`);
      assert.ok(typeof claims['ath'] === 'string');
      assert.equal(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK), dpopJkt);
      jtis.add(claims['jti']);
    }
    assert.equal(jtis.size, 2, 'a fresh jti per call');

    // The token alone is useless: as Bearer (RFC 9449 §7.2) or proved by another key.
    const url = `${stack.apiUrl}${REPORT}`;
    const asBearer = await fetch(url, { headers: { Authorization: `Bearer ${accessToken}` } });
    assert.equal(asBearer.status, 401);
    assert.equal(((await asBearer.json()) as { error: string }).error, 'invalid_token');
    const stranger = await new DPoPKeys().create();
    const otherKey = await fetch(url, {
      headers: { Authorization: `DPoP ${accessToken}`, DPoP: stranger.proof('GET', url, accessToken) },
    });
    assert.equal(otherKey.status, 401);
    assert.equal(((await otherKey.json()) as { error: string }).error, 'invalid_dpop_proof');
  });

  it('the M2M page calls the API with the bound token and shows the key thumbprint, never the key', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    const res = await browser.request(`${stack.appUrl}/m2m/call`, {
      method: 'POST',
      headers: { 'X-CSRF': '1', Accept: 'application/json' },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { result: { status: number } };
    assert.equal(body.result.status, 200, 'the demo API accepted the proof');
    const html = await browser.text(await browser.get(`${stack.appUrl}/m2m`));
    const { dpopKey } = await m2mOf(stack).getBoundToken();
    assert.ok(dpopKey);
    assert.match(html, /DPoP \(RFC 9449\)/);
    assert.ok(html.includes(dpopKey.jkt));
    assert.ok(!html.includes(String(dpopKey.jwk.d)));
  });

  it('a client API behind the proxy gets Authorization: DPoP and a proof of the same key', async () => {
    const browser = new Browser();
    await logIn(stack, browser);
    assert.equal((await apiCall(browser, stack, '/audit/events?page=2')).status, 200);
    const headers = audit.requests.at(-1)?.headers ?? {};
    assert.match(String(headers.authorization), /^DPoP /);
    const token = String(headers.authorization).slice('DPoP '.length);
    const proof = String(headers.dpop);
    assert.equal(decodeProtectedHeader(proof).typ, 'dpop+jwt');
    assert.equal(cnfJkt(token), await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK));
    assert.equal(cnfJkt(token), (await m2mOf(stack).getBoundToken()).dpopJkt);
    const claims = decodeJwt(proof);
    assert.equal(claims['htu'], new URL('events', audit.url).href, 'htu without the query');
    assert.equal(decodeJwt(token)['client_id'], DEMO_M2M_CLIENT.clientId, "the app's token, not the user's");
  });
});

describe('M2M DPoP nonces (DEMO_DPOP_NONCE=on)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ M2M_DPOP: 'on', DEMO_DPOP_NONCE: 'on' });
  });
  after(async () => stack?.close());

  it('answers use_dpop_nonce from the provider and from the API with exactly one retry each', async () => {
    const m2m = m2mOf(stack);
    const nonceErrors = () => stack.provider.stats.grantErrorsByCode['use_dpop_nonce'] ?? 0;
    const grants = () => stack.provider.stats.grantsByClient[DEMO_M2M_CLIENT.clientId]?.['client_credentials'] ?? 0;
    const client = new M2mApiClient({ tokens: m2m, baseUrl: stack.config.api.baseUrl });

    const first = await proofsDuring(stack, async () => assert.equal((await client.call('GET', REPORT)).status, 200));
    // The token request: refused once for want of the provider's nonce, then granted (RFC 9449 §8).
    assert.equal(nonceErrors(), 1);
    assert.equal(grants(), 1);
    assert.equal((await m2m.getToken()).tokenType, 'dpop');
    // The API call: refused once for want of the API's nonce, then sent again with it (§9).
    assert.equal(first.length, 2);
    assert.equal(decodeJwt(first[0] ?? '')['nonce'], undefined);
    const nonce = decodeJwt(first[1] ?? '')['nonce'];
    assert.ok(typeof nonce === 'string' && nonce.length > 0);

    // The nonce is remembered: the next call needs no retry.
    const second = await proofsDuring(stack, async () => assert.equal((await client.call('GET', REPORT)).status, 200));
    assert.equal(second.length, 1);
    assert.equal(decodeJwt(second[0] ?? '')['nonce'], nonce);
    assert.equal(nonceErrors(), 1);
    assert.equal(grants(), 1);
  });
});

/**
 * DPoP (RFC 9449) end to end: the app with OIDC_DPOP=on, the embedded provider, the real demo
 * API. A login's tokens are bound to its key, every proxied call carries a proof the API checks,
 * and a token taken away from the app is useless.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DPoPKeys } from '../../src/dpop/dpop-key.js';
import type { TokenSet } from '../../src/oidc/tokens.js';
import { apiCall, expireAccessToken, logIn, refreshGrants, sessionIdOf, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

function cnfJkt(accessToken: string): unknown {
  return (decodeJwt(accessToken)['cnf'] as { jkt?: unknown } | undefined)?.jkt;
}

async function loggedIn(stack: Stack): Promise<{ browser: Browser; tokens: TokenSet }> {
  const browser = new Browser();
  await logIn(stack, browser);
  const tokens = await tokensOf(browser, stack);
  assert.ok(tokens);
  return { browser, tokens };
}

/** Calls the demo API directly, as someone holding the token (and maybe a key) would. */
function callApi(stack: Stack, path: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  return fetch(`${stack.apiUrl}${path}`, { method, headers });
}

async function errorOf(res: Response): Promise<{ status: number; error: string; challenge: string }> {
  const body = (await res.json()) as { error: string };
  return { status: res.status, error: body.error, challenge: res.headers.get('www-authenticate') ?? '' };
}

describe('DPoP-bound tokens end to end', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ OIDC_DPOP: 'on', DEMO_ACCESS_TOKEN_TTL: '60' });
  });
  after(async () => stack.close());

  it('binds the login to its own key: token_type DPoP, cnf.jkt is the key, the key stays server-side', async () => {
    const { browser, tokens } = await loggedIn(stack);
    assert.equal(tokens.tokenType, 'dpop');
    assert.ok(tokens.dpopKey);
    assert.equal(cnfJkt(tokens.accessToken), tokens.dpopKey.jkt);
    // Another login gets another key.
    const other = await loggedIn(stack);
    assert.notEqual(other.tokens.dpopKey?.jkt, tokens.dpopKey.jkt);
    // The tokens page and the flow inspector say so, and show no private key.
    for (const page of ['/tokens', '/flow']) {
      const html = await browser.text(await browser.get(`${stack.appUrl}${page}`));
      assert.match(html, /DPoP/);
      assert.ok(html.includes(tokens.dpopKey.jkt), `${page} shows the key thumbprint`);
      assert.ok(!html.includes(String(tokens.dpopKey.jwk.d)), `${page} never shows the private key`);
    }
  });

  it('sends a fresh, valid proof with every proxied call', async () => {
    const { browser, tokens } = await loggedIn(stack);
    const seen: Array<{ authorization: string; proof: string }> = [];
    const record = (req: IncomingMessage) =>
      seen.push({ authorization: req.headers.authorization ?? '', proof: String(req.headers.dpop) });
    stack.apiServer.on('request', record);
    try {
      for (const path of ['/me', '/appointments', '/appointments?limit=1']) {
        const res = await apiCall(browser, stack, path, { headers: { DPoP: 'from-the-browser' } });
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('dpop-nonce'), null);
      }
    } finally {
      stack.apiServer.off('request', record);
    }
    assert.equal(seen.length, 3);
    const jtis = new Set<unknown>();
    for (const [index, { authorization, proof }] of seen.entries()) {
      assert.equal(authorization, `DPoP ${tokens.accessToken}`);
      const header = decodeProtectedHeader(proof);
      assert.equal(header.typ, 'dpop+jwt');
      assert.equal(header.alg, 'ES256');
      assert.equal((header.jwk as { d?: string }).d, undefined, 'only the public key travels');
      const claims = decodeJwt(proof);
      assert.equal(claims['htm'], 'GET');
      // RFC 9449 §4.2: the URL without its query.
      assert.equal(claims['htu'], `${stack.apiUrl}/${index === 0 ? 'me' : 'appointments'}`);
      jtis.add(claims.jti);
    }
    assert.equal(jtis.size, 3, 'every proof has its own jti');
  });

  it('a token taken from the app is useless: as Bearer, without a proof, with another key, with a replayed proof', async () => {
    const { tokens } = await loggedIn(stack);
    const token = tokens.accessToken;
    assert.ok(tokens.dpopKey);
    const own = await stack.services.tokens.dpopKeys.load(tokens.dpopKey);
    const stranger = await new DPoPKeys().create();
    const url = `${stack.apiUrl}/me`;

    const asBearer = await errorOf(await callApi(stack, '/me', { Authorization: `Bearer ${token}` }));
    assert.deepEqual([asBearer.status, asBearer.error], [401, 'invalid_token']);
    const noProof = await errorOf(await callApi(stack, '/me', { Authorization: `DPoP ${token}` }));
    assert.deepEqual([noProof.status, noProof.error], [401, 'invalid_dpop_proof']);
    assert.match(noProof.challenge, /^DPoP realm="demo-api", algs="ES256[^"]*", error="invalid_dpop_proof"/);
    const otherKey = await callApi(stack, '/me', {
      Authorization: `DPoP ${token}`,
      DPoP: await stranger.proof('GET', url, token),
    });
    const withOtherKey = await errorOf(otherKey);
    assert.deepEqual([withOtherKey.status, withOtherKey.error], [401, 'invalid_dpop_proof']);
    assert.match(withOtherKey.challenge, /cnf\.jkt/);
    for (const [what, proof] of [
      ['another method', await own.proof('POST', url, token)],
      ['another URL', await own.proof('GET', `${stack.apiUrl}/contacts`, token)],
      ['another token', await own.proof('GET', url, `${token}x`)],
    ] as const) {
      const res = await callApi(stack, '/me', { Authorization: `DPoP ${token}`, DPoP: proof });
      assert.equal((await errorOf(res)).error, 'invalid_dpop_proof', what);
    }

    // The owner's proof works once; the same proof again is a replay.
    const proof = await own.proof('GET', url, token);
    assert.equal((await callApi(stack, '/me', { Authorization: `DPoP ${token}`, DPoP: proof })).status, 200);
    const replay = await errorOf(await callApi(stack, '/me', { Authorization: `DPoP ${token}`, DPoP: proof }));
    assert.deepEqual([replay.status, replay.error], [401, 'invalid_dpop_proof']);
  });

  it('a refresh keeps the binding: same key, new DPoP-bound token', async () => {
    const { browser, tokens } = await loggedIn(stack);
    const sessionId = sessionIdOf(browser, stack) ?? '';
    await expireAccessToken(stack, sessionId);
    const before = refreshGrants(stack);
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal(refreshGrants(stack), before + 1);
    const refreshed = await tokensOf(browser, stack);
    assert.ok(refreshed && refreshed.accessToken !== tokens.accessToken);
    assert.equal(refreshed.tokenType, 'dpop');
    assert.equal(refreshed.dpopKey?.jkt, tokens.dpopKey?.jkt);
    assert.equal(cnfJkt(refreshed.accessToken), tokens.dpopKey?.jkt);
  });

  it('20 concurrent calls after expiry make exactly one refresh grant, all 200', async () => {
    const { browser } = await loggedIn(stack);
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    const before = refreshGrants(stack);
    const results = await Promise.all(Array.from({ length: 20 }, () => apiCall(browser, stack, '/appointments')));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(20).fill(200),
    );
    assert.equal(refreshGrants(stack), before + 1);
  });
});

describe('DPoP nonces from the provider and from the API', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ OIDC_DPOP: 'on', DEMO_DPOP_NONCE: 'on', DEMO_ACCESS_TOKEN_TTL: '60' });
  });
  after(async () => stack.close());

  it('answers use_dpop_nonce with exactly one retry, and remembers the nonce', async () => {
    const nonceErrors = () => stack.provider.stats.grantErrorsByCode['use_dpop_nonce'] ?? 0;
    const { browser, tokens } = await loggedIn(stack);
    assert.equal(tokens.tokenType, 'dpop');
    // The code exchange: refused once for want of a nonce, then sent again with it.
    assert.equal(nonceErrors(), 1);
    assert.equal(stack.provider.stats.grants['authorization_code'], 1);

    const proofs: Array<string | undefined> = [];
    const record = (req: IncomingMessage) => proofs.push(req.headers.dpop as string | undefined);
    stack.apiServer.on('request', record);
    try {
      assert.equal((await apiCall(browser, stack, '/me')).status, 200);
      // The API asked for its nonce once; the second attempt carried it.
      assert.equal(proofs.length, 2);
      assert.equal(decodeJwt(proofs[0] ?? '')['nonce'], undefined);
      const nonce = decodeJwt(proofs[1] ?? '')['nonce'];
      assert.equal(typeof nonce, 'string');
      // The next call carries the remembered nonce at once.
      assert.equal((await apiCall(browser, stack, '/appointments')).status, 200);
      assert.equal(proofs.length, 3);
      assert.equal(decodeJwt(proofs[2] ?? '')['nonce'], nonce);
    } finally {
      stack.apiServer.off('request', record);
    }

    // A refresh reuses the provider's nonce the login's handle learned: no second refusal.
    await expireAccessToken(stack, sessionIdOf(browser, stack) ?? '');
    assert.equal((await apiCall(browser, stack, '/me')).status, 200);
    assert.equal(refreshGrants(stack), 1);
    assert.equal(nonceErrors(), 1);
  });
});

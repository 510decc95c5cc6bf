/**
 * Pushed authorization requests (RFC 9126) against the real embedded provider: the browser's URL
 * carries only `client_id` and `request_uri`, and a provider that requires PAR gets it unasked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'openid-client';
import { logIn, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

async function authorizeUrl(stack: Stack, browser: Browser): Promise<URL> {
  const res = await browser.get(`${stack.appUrl}/login`);
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location') ?? '');
}

describe('pushed authorization requests (OIDC_PAR)', () => {
  it('auto: the browser is sent to the provider with client_id and request_uri only, and the login completes', async (t) => {
    const stack = await startStack({});
    t.after(() => stack.close());
    assert.equal(stack.config.oidc.par, 'auto');
    const browser = new Browser();
    const url = await authorizeUrl(stack, browser);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.equal(url.searchParams.get('client_id'), stack.config.oidc.clientId);
    // RFC 9126 §2.2: the provider's reference to the pushed request.
    assert.match(url.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);

    await logIn(stack, browser);
    assert.ok((await tokensOf(browser, stack))?.accessToken, 'the pushed login ends with tokens');

    // The flow inspector shows the pushed request and the provider's expires_in (oidc-provider: 60 s).
    const flow = await browser.text(await browser.get(`${stack.appUrl}/flow`));
    assert.match(flow, /Pushed authorization request \(PAR\)/);
    assert.match(flow, /expires_in[\s\S]{0,200}?1 minute: the browser had that long/);
    assert.match(flow, /RFC 9126 §2\.2/);
    const requestUri = url.searchParams.get('request_uri') ?? '';
    assert.ok(!flow.includes(requestUri), 'the request_uri is shown shortened');
  });

  it('a provider that requires PAR refuses a plain request; the app in auto pushes by itself', async (t) => {
    const stack = await startStack({}, { demoProvider: { pushedAuthorizationRequests: 'required' } });
    t.after(() => stack.close());
    const configuration = stack.services.provider.get();
    assert.equal(configuration.serverMetadata().require_pushed_authorization_requests, true);

    const plain = client.buildAuthorizationUrl(configuration, {
      redirect_uri: stack.config.redirectUri,
      scope: 'openid',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const refused = await fetch(plain, { redirect: 'manual' });
    const answer = new URL(refused.headers.get('location') ?? 'http://invalid/');
    assert.equal(answer.searchParams.get('error'), 'invalid_request');
    assert.match(answer.searchParams.get('error_description') ?? '', /pushed authorization request/i);

    const browser = new Browser();
    assert.deepEqual([...(await authorizeUrl(stack, browser)).searchParams.keys()].sort(), [
      'client_id',
      'request_uri',
    ]);
    await logIn(stack, browser);
    assert.ok((await tokensOf(browser, stack))?.accessToken);
  });

  it('off: a plain redirect; against a provider that requires PAR, a clear error instead of a broken login', async (t) => {
    const plainStack = await startStack({ OIDC_PAR: 'off' });
    t.after(() => plainStack.close());
    const plain = await authorizeUrl(plainStack, new Browser());
    assert.equal(plain.searchParams.get('request_uri'), null);
    assert.ok(plain.searchParams.get('code_challenge'));

    const strict = await startStack({ OIDC_PAR: 'off' }, { demoProvider: { pushedAuthorizationRequests: 'required' } });
    t.after(() => strict.close());
    const res = await new Browser().get(`${strict.appUrl}/login`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'par_required');
    assert.match(body.error_description, /OIDC_PAR/);
  });
});

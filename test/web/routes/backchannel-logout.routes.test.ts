/**
 * POST /backchannel-logout against the real embedded provider: what a refused
 * request looks like (400 JSON per Back-Channel Logout 1.0 §2.8, no cookie, no
 * session) and, with the provider sending real logout tokens, what it ends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { DEMO_CLIENT } from '../../../src/config/config.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../../src/oidc/backchannel-logout.js';
import { startStack, type Stack } from '../../helpers/stack.js';

let stack: Stack;

before(async () => {
  stack = await startStack();
  await stack.services.provider.whenReady();
});
after(() => stack.close());

function post(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(`${stack.appUrl}/backchannel-logout`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Accept: '*/*' },
    body,
  });
}

async function assertRefused(res: Response): Promise<void> {
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('set-cookie'), null, 'a server-to-server call never gets a session');
  const body = (await res.json()) as { error: string };
  assert.equal(body.error, 'invalid_request');
}

describe('POST /backchannel-logout: refused requests', () => {
  it('refuses a token signed with a key the provider does not publish', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({
      sub: 'alice',
      sid: 'x',
      jti: randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'not-the-providers' })
      .setIssuer(stack.issuer)
      .setAudience(DEMO_CLIENT.clientId)
      .setIssuedAt()
      .sign(privateKey);
    await assertRefused(await post(new URLSearchParams({ logout_token: token }).toString()));
  });

  it('refuses a body that is not form-encoded', async () => {
    await assertRefused(await post(JSON.stringify({ logout_token: 'x' }), 'application/json'));
  });

  it('refuses a request without a logout_token', async () => {
    await assertRefused(await post('something=else'));
  });
});

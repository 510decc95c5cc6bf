/** Refresh, revocation, client credentials and option checks of the demo provider. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as client from 'openid-client';

import { createDemoProvider } from '../../../src/demo/identity-provider/index.js';
import {
  ALICE,
  API_AUDIENCE,
  BOB,
  M2M_BASIC,
  M2M_POST,
  USER_SCOPES,
  WEB,
  discover,
  rejectsWith,
  scopesOf,
  signIn,
  startStack,
  verifyAccessToken,
} from '../../helpers/demo-provider-kit.js';

describe('demo identity provider: refresh and revocation', () => {
  it('rotates the refresh token on every use and refuses a consumed one with invalid_grant', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, ALICE);
    const first = tokens.refresh_token;
    assert.ok(first);

    const refreshed = await client.refreshTokenGrant(stack.web, first);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, first, 'rotated');
    const accessToken = await verifyAccessToken(stack, refreshed.access_token);
    assert.equal(accessToken.sub, ALICE.sub);
    assert.deepEqual(scopesOf(accessToken), [...USER_SCOPES].sort(), 'resource reused without repeating it');

    await rejectsWith(client.refreshTokenGrant(stack.web, first), 'invalid_grant');
    // Reuse detection revoked the whole grant, so the rotated token is dead too (RFC 9700 §4.14.2).
    await rejectsWith(client.refreshTokenGrant(stack.web, refreshed.refresh_token), 'invalid_grant');

    assert.equal(stack.idp.stats.grants['refresh_token'], 1);
    assert.equal(stack.idp.stats.grantErrors['refresh_token'], 2);
    assert.equal(stack.idp.stats.grantErrorsByCode['invalid_grant'], 2);

    stack.idp.resetStats();
    assert.deepEqual(stack.idp.stats.grants, {});
    assert.equal(stack.idp.stats.logins, 0);
  });

  it('revokes a refresh token (RFC 7009) so it can no longer be used', async (t) => {
    const stack = await startStack(t);
    const { tokens } = await signIn(stack, BOB);
    assert.ok(tokens.refresh_token);
    await client.tokenRevocation(stack.web, tokens.refresh_token, { token_type_hint: 'refresh_token' });
    assert.equal(stack.idp.stats.revocations, 1);
    await rejectsWith(client.refreshTokenGrant(stack.web, tokens.refresh_token), 'invalid_grant');
  });
});

describe('demo identity provider: client credentials', () => {
  it('issues API tokens with only the M2M scopes, via resource or audience, with each client’s own auth method', async (t) => {
    const stack = await startStack(t);
    for (const m2m of [M2M_BASIC, M2M_POST]) {
      const config = await discover(stack.issuer, m2m);
      const targets: Array<Record<string, string>> = [{ resource: API_AUDIENCE }, { audience: API_AUDIENCE }, {}];
      for (const target of targets) {
        const tokens = await client.clientCredentialsGrant(config, {
          scope: 'read:reports read:appointments',
          ...target,
        });
        assert.equal(tokens.refresh_token, undefined);
        const payload = await verifyAccessToken(stack, tokens.access_token);
        assert.equal(payload.sub, m2m.clientId);
        assert.equal(payload['client_id'], m2m.clientId);
        assert.deepEqual(scopesOf(payload), ['read:reports'], 'never a user scope');
        assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 30);
      }
      assert.equal(stack.idp.stats.grantsByClient[m2m.clientId]?.['client_credentials'], 3);
    }
    assert.equal(stack.idp.stats.grants['client_credentials'], 6);
  });

  it('requires each client’s registered authentication method', async (t) => {
    const stack = await startStack(t);
    const basicAsPost = await discover(stack.issuer, M2M_BASIC, 'client_secret_post');
    await rejectsWith(
      client.clientCredentialsGrant(basicAsPost, { scope: 'read:reports', resource: API_AUDIENCE }),
      'invalid_client',
    );
    const postAsBasic = await discover(stack.issuer, M2M_POST, 'client_secret_basic');
    await rejectsWith(
      client.clientCredentialsGrant(postAsBasic, { scope: 'read:reports', resource: API_AUDIENCE }),
      'invalid_client',
    );
    const wrongSecret = await discover(stack.issuer, { ...M2M_BASIC, clientSecret: 'wrong' });
    await rejectsWith(client.clientCredentialsGrant(wrongSecret, { scope: 'read:reports' }), 'invalid_client');
    assert.equal(stack.idp.stats.grantErrors['client_credentials'], 3);
    assert.equal(stack.idp.stats.grants['client_credentials'], undefined);
  });

  it('rejects unknown resources and the web client', async (t) => {
    const stack = await startStack(t);
    const config = await discover(stack.issuer, M2M_BASIC);
    await rejectsWith(
      client.clientCredentialsGrant(config, { scope: 'read:reports', resource: 'https://unknown-api.example/' }),
      'invalid_target',
    );
    await rejectsWith(
      client.clientCredentialsGrant(config, { scope: 'read:reports', audience: 'https://unknown-api.example/' }),
      'invalid_target',
    );
    await rejectsWith(client.clientCredentialsGrant(stack.web, { scope: 'read:reports' }), 'invalid_request');
  });
});

describe('demo identity provider: options', () => {
  it('refuses invalid options, listing every problem', async () => {
    await assert.rejects(
      createDemoProvider({
        issuer: 'http://127.0.0.1:1/',
        appBaseUrl: 'not a url',
        webClient: WEB,
        m2mClients: [],
        api: { audience: API_AUDIENCE, userScopes: ['a'], m2mScopes: ['a'] },
        accessTokenTtlSeconds: 0,
        stylesheetPath: 'public/styles.css',
      }),
      (err: unknown) => {
        assert.ok(err instanceof TypeError);
        for (const fragment of ['issuer', 'appBaseUrl', 'accessTokenTtlSeconds', 'stylesheetPath', 'overlap']) {
          assert.match(err.message, new RegExp(fragment));
        }
        return true;
      },
    );
  });
});

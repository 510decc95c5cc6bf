/**
 * The demo API on its own expects `iss` exactly as the provider's discovery document names it,
 * trailing slash included (Auth0's issuer is `https://{domain}/`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { discoverTokenIssuer } from '../../../src/demo/api/discover-issuer.js';
import { DEMO_PROVIDER_PROFILES } from '../../../src/demo/identity-provider/index.js';
import { startStack } from '../../helpers/demo-provider-kit.js';

describe('demo API: the issuer it expects', () => {
  for (const profile of ['auth0', 'standard'] as const) {
    it(`${profile}: the issuer string the provider writes in iss, and its jwks_uri`, async (t) => {
      const stack = await startStack(t, { profile: DEMO_PROVIDER_PROFILES[profile] });
      const found = await discoverTokenIssuer(new URL(stack.idp.issuer));
      assert.equal(found.issuer, stack.idp.issuer);
      assert.equal(found.jwksUri.href, stack.web.serverMetadata().jwks_uri);
    });
  }

  it('refuses a provider that does not answer discovery', async (t) => {
    const stack = await startStack(t);
    await assert.rejects(discoverTokenIssuer(new URL(`${stack.issuer}/nowhere`)), /answered 404/);
  });
});

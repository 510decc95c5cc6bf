/**
 * The provider matrix: for every profile of the embedded provider, the app configured with that
 * provider's preset goes through the whole journey (journey.ts). Adding a provider is adding a row.
 */
import { after, before, describe, it } from 'node:test';
import { DEMO_TENANT_ID } from '../../src/demo/identity-provider/profiles/entra.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { runJourney, type JourneyRow } from './journey.js';

const ROWS: JourneyRow[] = [
  {
    profile: 'standard',
    apiToken: true,
    rotates: true,
    reuseOfOldRefreshToken: 'breach',
    logout: 'end-session',
    revokes: true,
  },
  {
    // An invitation link, as Auth0 sends it to the Application Login URI.
    profile: 'auth0',
    loginQuery: { invitation: 'inv_demo_welcome', organization: 'org_demo4cme', organization_name: 'acme' },
    idTokenClaims: { org_id: 'org_demo4cme', org_name: 'acme' },
    apiToken: true,
    rotates: true,
    reuseOfOldRefreshToken: 'breach',
    logout: 'auth0-v2-logout',
    revokes: true,
  },
  {
    profile: 'google',
    apiToken: false,
    rotates: false,
    reuseOfOldRefreshToken: 'accepted',
    logout: 'local',
    revokes: true,
  },
  {
    profile: 'entra',
    idTokenClaims: { tid: DEMO_TENANT_ID },
    env: { OIDC_ALLOWED_TENANTS: DEMO_TENANT_ID },
    apiToken: true,
    rotates: true,
    reuseOfOldRefreshToken: 'accepted',
    logout: 'end-session',
    revokes: false,
  },
  {
    profile: 'keycloak',
    apiToken: true,
    rotates: true,
    reuseOfOldRefreshToken: 'accepted',
    logout: 'end-session',
    revokes: true,
  },
  {
    profile: 'okta',
    apiToken: true,
    rotates: true,
    reuseOfOldRefreshToken: 'accepted',
    logout: 'end-session',
    idTokenHint: true,
    revokes: true,
  },
  {
    profile: 'logto',
    apiToken: true,
    rotates: false,
    reuseOfOldRefreshToken: 'accepted',
    logout: 'end-session',
    revokes: true,
    idTokenAlg: 'ES384',
  },
];

for (const row of ROWS) {
  describe(`provider matrix: ${row.profile}`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ DEMO_PROVIDER_PROFILE: row.profile, DEMO_ACCESS_TOKEN_TTL: '60', ...row.env });
    });
    after(() => stack.close());

    it('login → API → forced expiry → refresh → replay → logout → 401', async () => {
      await runJourney(stack, row);
    });
  });
}

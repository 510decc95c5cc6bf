/**
 * What each profile of the demo provider publishes in its discovery document: the issuer shape,
 * the endpoints the real provider has or lacks, the ID-token algorithms. (The journeys through the
 * app are in test/providers/provider-matrix.test.ts.)
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';

import {
  createDemoProvider,
  DEMO_PROVIDER_PROFILES,
  type DemoProfileName,
} from '../../../src/demo/identity-provider/index.js';
import { PROJECT_ROOT } from '../../../src/paths.js';
import { API_AUDIENCE, APP_BASE_URL, M2M_SCOPES, USER_SCOPES, WEB } from '../../helpers/demo-provider-kit.js';

async function discoveryOf(t: TestContext, profile: DemoProfileName): Promise<Record<string, unknown>> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = await createDemoProvider({
    issuer: origin,
    profile: DEMO_PROVIDER_PROFILES[profile],
    appBaseUrl: APP_BASE_URL,
    webClient: WEB,
    m2mClients: [],
    api: { audience: API_AUDIENCE, userScopes: USER_SCOPES, m2mScopes: M2M_SCOPES },
    accessTokenTtlSeconds: 5,
    stylesheetPath: path.join(PROJECT_ROOT, 'public', 'styles.css'),
  });
  server.on('request', idp.handler);
  // OIDC Discovery 1.0 §4: the document sits under the issuer's path.
  const res = await fetch(`${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const metadata = (await res.json()) as Record<string, unknown>;
  assert.equal(metadata['issuer'], idp.issuer, 'the document names the issuer it is served under');
  return { ...metadata, issuerPath: idp.issuer.slice(origin.length) };
}

const EXPECTED: Record<
  DemoProfileName,
  { issuerPath: RegExp; endSession: boolean; revocation: boolean; idTokenAlgs: string[] }
> = {
  standard: { issuerPath: /^$/, endSession: true, revocation: true, idTokenAlgs: ['RS256'] },
  auth0: { issuerPath: /^\/$/, endSession: false, revocation: true, idTokenAlgs: ['RS256'] },
  logto: { issuerPath: /^\/oidc$/, endSession: true, revocation: true, idTokenAlgs: ['ES384', 'RS256', 'ES256'] },
  google: { issuerPath: /^$/, endSession: false, revocation: true, idTokenAlgs: ['RS256'] },
  entra: { issuerPath: /^\/[0-9a-f-]{36}\/v2\.0$/, endSession: true, revocation: false, idTokenAlgs: ['RS256'] },
  keycloak: { issuerPath: /^\/realms\/demo$/, endSession: true, revocation: true, idTokenAlgs: ['RS256'] },
  okta: { issuerPath: /^\/oauth2\/default$/, endSession: true, revocation: true, idTokenAlgs: ['RS256'] },
};

describe('demo identity provider: profiles in discovery', () => {
  for (const [profile, expected] of Object.entries(EXPECTED) as Array<
    [DemoProfileName, (typeof EXPECTED)[DemoProfileName]]
  >) {
    it(`${profile}: issuer shape, end-session and revocation endpoints, ID-token algorithms`, async (t) => {
      const metadata = await discoveryOf(t, profile);
      assert.match(String(metadata['issuerPath']), expected.issuerPath);
      assert.equal('end_session_endpoint' in metadata, expected.endSession, 'end_session_endpoint');
      assert.equal('revocation_endpoint' in metadata, expected.revocation, 'revocation_endpoint');
      const algs = metadata['id_token_signing_alg_values_supported'] as string[];
      assert.deepEqual([...algs].sort(), [...expected.idTokenAlgs].sort());
    });
  }
});

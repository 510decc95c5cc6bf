/**
 * Fault drill: the provider rotates its ID-token signing key while users keep logging in.
 *
 * The app verifies ID token signatures (openid-client `enableNonRepudiationChecks`), and
 * openid-client leaves fetching the provider's JWKS to oauth4webapi, which caches the key set per
 * provider: it fetches it again when it is 5 minutes old, or when a token names a key it does not
 * hold, but for that only once the cached set is at least a minute old. So a rotation costs one
 * fetch, and tokens naming unknown keys can never make the app fetch more than once a minute.
 * @see https://github.com/panva/oauth4webapi/blob/main/src/index.ts (getPublicSigKeyFromIssuerJwksUri)
 *
 * The provider is restarted on the same port with the next key set (signing-keys.ts): first the
 * new key in front of the old one (it signs, the old one still verifies), then the old one gone.
 * The minute is a statement about time, so the clock is simulated: `Date` is mocked and moved on
 * between logins (the app, openid-client and the provider all read it), timers stay real.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it, type TestContext } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { generateSigningKey, generateSigningKeys } from '../../src/demo/identity-provider/index.js';
import { ALICE, logIn, tokensOf } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { loginAtProvider } from '../helpers/provider-login.js';
import { withStack, type Stack } from '../helpers/stack.js';

const MINUTE_MS = 60_000;

/** The demo's standard key set: [RS256 (ID tokens), ES256 (access tokens)]. */
async function keySet(): Promise<{ idTokenKey: JWK; accessTokenKey: JWK }> {
  const [idTokenKey, accessTokenKey] = (await generateSigningKeys(['RS256'])) as [JWK, JWK];
  assert.equal(idTokenKey.alg, 'RS256');
  return { idTokenKey, accessTokenKey };
}

/** Simulated times (ms) of every JWKS request the provider's port receives. */
function countJwksFetches(stack: Stack): number[] {
  const fetches: number[] = [];
  stack.providerServer.on('request', (req: IncomingMessage) => {
    if (new URL(req.url ?? '/', stack.issuer).pathname === '/jwks') fetches.push(Date.now());
  });
  return fetches;
}

function simulatedClock(t: TestContext): { tick(ms: number): void } {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  return { tick: (ms) => t.mock.timers.tick(ms) };
}

/** Logs in as a new browser; returns the `kid` of the ID token the app accepted. */
async function loginKid(stack: Stack, label: string): Promise<string | undefined> {
  const browser = new Browser();
  assert.equal(await logIn(stack, browser), '/', `${label} ends on the home page`);
  const idToken = (await tokensOf(browser, stack))?.idToken;
  assert.ok(idToken, `${label} stored an ID token`);
  return decodeProtectedHeader(idToken).kid;
}

describe('signing-key rotation at the provider (fault drill)', () => {
  it('keeps 100 logins working across the rotation and fetches the JWKS at most once a minute', async (t) => {
    const { idTokenKey: oldKey, accessTokenKey } = await keySet();
    const newKey = await generateSigningKey('RS256');
    await withStack(
      {},
      async (stack) => {
        const clock = simulatedClock(t);
        const fetches = countJwksFetches(stack);
        const STEP_MS = 5_000; // 100 logins over 500 simulated seconds
        const ROTATE_AT = 20; // new key first: it signs, the old one is still published
        const RETIRE_AT = 50; // old key removed
        let rotatedAt = Number.NaN;
        for (let n = 1; n <= 100; n += 1) {
          if (n === ROTATE_AT) {
            await stack.restartProvider({ signingKeys: [newKey, oldKey, accessTokenKey] });
            rotatedAt = Date.now();
          }
          if (n === RETIRE_AT) await stack.restartProvider({ signingKeys: [newKey, accessTokenKey] });
          const kid = await loginKid(stack, `login ${n}`);
          assert.equal(kid, n < ROTATE_AT ? oldKey.kid : newKey.kid, `login ${n} signed with the current key`);
          clock.tick(STEP_MS);
        }

        assert.ok(fetches.includes(rotatedAt), 'the first token with the new key made the app fetch');
        for (let i = 1; i < fetches.length; i += 1) {
          const gap = (fetches[i] ?? 0) - (fetches[i - 1] ?? 0);
          assert.ok(gap >= MINUTE_MS, `JWKS fetches ${i} and ${i + 1} are ${gap / 1000} s apart`);
        }
        const simulatedMs = 100 * STEP_MS;
        assert.ok(fetches.length <= 1 + simulatedMs / MINUTE_MS, `${fetches.length} JWKS fetches in 500 s`);
      },
      { demoProvider: { signingKeys: [oldKey, accessTokenKey] } },
    );
  });

  it('a key used within a minute of the last fetch: logins refused with a clear page, no second fetch that minute', async (t) => {
    const { idTokenKey: oldKey, accessTokenKey } = await keySet();
    const newKey = await generateSigningKey('RS256');
    await withStack(
      {},
      async (stack) => {
        const clock = simulatedClock(t);
        const fetches = countJwksFetches(stack);
        assert.equal(await loginKid(stack, 'the first login'), oldKey.kid);
        assert.equal(fetches.length, 1);

        // A provider that starts signing with a key it published 10 s after the app's fetch (no
        // advance notice): within that minute the app refuses those logins with a page that says
        // why and offers to try again, rather than fetch again for every one of them.
        clock.tick(10_000);
        await stack.restartProvider({ signingKeys: [newKey, oldKey, accessTokenKey] });
        for (let n = 1; n <= 10; n += 1) {
          const browser = new Browser();
          const result = await loginAtProvider(browser, `${stack.appUrl}/login`, ALICE);
          const page = browser.log.at(-1)?.body ?? '';
          assert.equal(result.response.status, 400, `login ${n} in the minute is refused`);
          assert.match(page, /token_exchange_failed/, `login ${n} shows the stable error code`);
          assert.match(page, /OAUTH_KEY_SELECTION_FAILED/, `login ${n} names the reason`);
          assert.match(page, /href="\/login">Try again</, `login ${n} offers to try again`);
          clock.tick(4_000);
        }
        assert.equal(fetches.length, 1, 'no JWKS fetch within the minute');

        clock.tick(MINUTE_MS - 50_000); // the cached set is now a minute old
        assert.equal(await loginKid(stack, 'the login after the minute'), newKey.kid);
        assert.equal(fetches.length, 2, 'one fetch for the new key');
      },
      { demoProvider: { signingKeys: [oldKey, accessTokenKey] } },
    );
  });
});

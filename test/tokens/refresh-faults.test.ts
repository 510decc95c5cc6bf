/**
 * The token service's hardened refresh rules against a scripted token endpoint and the
 * in-memory store (the Redis store runs the same rules in
 * test/stores/redis/backends.test.ts): what a refresh that races a logout may
 * do, what a failed early refresh does, how often a refresh may be forced, and
 * which ID token a refresh may bring back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError, LoginRequiredError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import type { TokenSet } from '../../src/oidc/tokens.js';
import { MemoryFlowLog } from '../../src/stores/memory/flow-log.js';
import { MemoryTokenStore } from '../../src/stores/memory/token-store.js';
import { localRefreshLock } from '../../src/tokens/refresh-lock.js';
import { TokenService } from '../../src/tokens/token-service.js';
import { counterValue } from '../helpers/metric-value.js';
import { ENDPOINT_CLIENT_ID, startTokenEndpoint, type TokenEndpoint } from '../helpers/token-endpoint.js';
import { createTokenFactory, type TokenFactory } from '../helpers/token-factory.js';

const silent = createLogger('silent');

function loginTokens(overrides: Partial<TokenSet> = {}): TokenSet {
  const now = Date.now();
  return {
    accessToken: 'at-login',
    tokenType: 'bearer',
    expiresAt: now + 300_000,
    lifetimeSeconds: 300,
    refreshToken: 'rt-login',
    idToken: undefined,
    scope: 'openid offline_access',
    receivedAt: now,
    version: 1,
    ...overrides,
  };
}

/** A token that is still valid but inside its refresh margin (60 s lifetime, 10 s left). */
function expiringSoon(now = Date.now()): Partial<TokenSet> {
  return { lifetimeSeconds: 60, receivedAt: now - 50_000, expiresAt: now + 10_000 };
}

function expired(now = Date.now()): Partial<TokenSet> {
  return { lifetimeSeconds: 60, receivedAt: now - 61_000, expiresAt: now - 1_000 };
}

function newService(endpoint: TokenEndpoint, options: { idleSeconds?: number; now?: () => number } = {}) {
  const store = new MemoryTokenStore(100);
  const tokens = new TokenService({
    store,
    provider: endpoint.provider,
    lock: localRefreshLock,
    flowLog: new MemoryFlowLog(100),
    logger: silent,
    idleSeconds: options.idleSeconds ?? 1800,
    ...(options.now ? { now: options.now } : {}),
  });
  return { tokens, store };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  throw new Error('expected a rejection');
}

describe('a refresh racing the end of its login', () => {
  it('logout during a refresh: the result is not saved and its refresh token is revoked', async () => {
    const endpoint = await startTokenEndpoint('rt-login', 0);
    try {
      const { tokens } = newService(endpoint);
      await tokens.saveLogin('sid', loginTokens(expired()));
      const answer = endpoint.hold();
      const refreshing = tokens.getTokens('sid');
      await endpoint.whenRequests(1); // the refresh grant is at the provider now
      const ended = await tokens.endLogin('sid');
      answer();
      assert.equal(ended?.refreshToken, 'rt-login');
      const error = await rejection(refreshing);
      assert.equal(error.code, 'login_required');
      assert.equal(await tokens.peek('sid'), undefined, 'logout stays final: no token record came back');
      assert.deepEqual(
        [...endpoint.revoked].sort(),
        ['rt-login', 'rt-rotated-1'],
        'logout revokes the login refresh token, and the refresh revokes the one nobody can reach',
      );
    } finally {
      await endpoint.close();
    }
  });

  it('every ending of a login revokes its refresh token, except one the provider already refused', async () => {
    const endpoint = await startTokenEndpoint('rt-login', 5);
    try {
      const { tokens } = newService(endpoint);
      await tokens.saveLogin('ended', loginTokens({ refreshToken: 'rt-ended' }));
      await tokens.endLogin('ended'); // logout, absolute timeout, re-login: all end here
      assert.deepEqual(endpoint.revoked, ['rt-ended']);
      endpoint.behaviour.mode = 'invalid_grant';
      await tokens.saveLogin('refused', loginTokens({ ...expired(), refreshToken: 'rt-refused' }));
      const refusedGrant = { reason: 'expiring', outcome: 'invalid_grant' };
      const refusedBefore = await counterValue('oidc_bff_refresh_grants_total', refusedGrant);
      await rejection(tokens.getTokens('refused'));
      assert.deepEqual(endpoint.revoked, ['rt-ended']);
      assert.equal((await counterValue('oidc_bff_refresh_grants_total', refusedGrant)) - refusedBefore, 1);
    } finally {
      await endpoint.close();
    }
  });

  it('the token record expires with the idle timeout unless activity extends it', async () => {
    const endpoint = await startTokenEndpoint('rt-login');
    try {
      // Idle timeout 0.4 s: the record lives 0.4 s + the keep-alive interval (a quarter of it).
      const { tokens } = newService(endpoint, { idleSeconds: 0.4 });
      await tokens.saveLogin('sid', loginTokens());
      for (let i = 0; i < 4; i += 1) {
        await delay(250);
        await tokens.keepAlive('sid');
      }
      assert.ok(await tokens.peek('sid'), 'activity kept the record past one idle timeout');
      await delay(800);
      assert.equal(await tokens.peek('sid'), undefined, 'an idle login leaves no token record behind');
    } finally {
      await endpoint.close();
    }
  });
});

describe('a refresh that fails while the access token is still valid', () => {
  let endpoint: TokenEndpoint;
  before(async () => {
    endpoint = await startTokenEndpoint('rt-login', 20, { timeoutSeconds: 1 });
  });
  after(async () => endpoint.close());

  it('uses the still-valid token, backs off, and refreshes once the provider is back', async () => {
    let now = Date.now();
    const { tokens } = newService(endpoint, { now: () => now });
    await tokens.saveLogin('sid', loginTokens(expiringSoon(now)));
    endpoint.behaviour.mode = 'unavailable';
    const requestsBefore = endpoint.counts.requests;
    assert.equal((await tokens.getTokens('sid')).accessToken, 'at-login');
    assert.equal((await tokens.getTokens('sid')).accessToken, 'at-login');
    assert.equal(endpoint.counts.requests - requestsBefore, 1, 'no second attempt within the backoff');
    endpoint.behaviour.mode = 'rotate';
    now += 2_000; // past the first backoff step, still before expiry
    const refreshed = await tokens.getTokens('sid');
    assert.match(refreshed.accessToken, /^at-refreshed-/);
  });

  it('only an expired token turns an outage into 503, and the next callers fail fast', async () => {
    const now = Date.now();
    const { tokens } = newService(endpoint, { now: () => now });
    await tokens.saveLogin('sid', loginTokens({ ...expired(now), refreshToken: endpoint.current }));
    endpoint.behaviour.mode = 'unavailable';
    const outage = { reason: 'expiring', outcome: 'provider_unavailable' };
    const outagesBefore = await counterValue('oidc_bff_refresh_grants_total', outage);
    try {
      const requestsBefore = endpoint.counts.requests;
      const first = await rejection(tokens.getTokens('sid'));
      assert.equal(first.status, 503);
      assert.equal(first.code, 'provider_unavailable');
      const next = await rejection(tokens.getTokens('sid'));
      assert.equal(next.code, 'provider_unavailable');
      assert.ok(Number(next.headers['Retry-After']) >= 1);
      assert.equal(endpoint.counts.requests - requestsBefore, 1, 'the second caller did not ask the provider');
      assert.equal((await counterValue('oidc_bff_refresh_grants_total', outage)) - outagesBefore, 1);
      assert.ok(await tokens.peek('sid'), 'the tokens are kept');
    } finally {
      endpoint.behaviour.mode = 'rotate';
    }
  });

  it('while the provider hangs: one refresh in flight, every other call uses the valid token at once', async () => {
    const { tokens } = newService(endpoint);
    await tokens.saveLogin('sid', loginTokens({ ...expiringSoon(), refreshToken: endpoint.current }));
    endpoint.latencyMs = 'hang';
    try {
      const requestsBefore = endpoint.counts.requests;
      let firstSettled = false;
      const first = tokens.getTokens('sid').finally(() => (firstSettled = true));
      await delay(50);
      const others = await Promise.all(Array.from({ length: 5 }, () => tokens.getTokens('sid')));
      assert.equal(firstSettled, false, 'the others did not wait for the hanging refresh');
      for (const held of others) assert.equal(held.accessToken, 'at-login');
      assert.equal((await first).accessToken, 'at-login', 'after the timeout the first call uses the valid token too');
      assert.equal(endpoint.counts.requests - requestsBefore, 1);
    } finally {
      endpoint.latencyMs = 20;
    }
  });
});

describe('forced refreshes', () => {
  let endpoint: TokenEndpoint;
  before(async () => {
    endpoint = await startTokenEndpoint('rt-login', 5);
  });
  after(async () => endpoint.close());

  it('"refresh now" at most once per 10 s per session, then 429 with Retry-After', async () => {
    const { tokens } = newService(endpoint);
    await tokens.saveLogin('sid', loginTokens({ refreshToken: endpoint.current }));
    const grantsBefore = endpoint.counts.grants;
    await tokens.getTokens('sid', { force: 'manual' });
    const error = await rejection(tokens.getTokens('sid', { force: 'manual' }));
    assert.equal(error.status, 429);
    assert.equal(error.code, 'refresh_too_frequent');
    assert.ok(Number(error.headers['Retry-After']) >= 1);
    assert.equal(endpoint.counts.grants - grantsBefore, 1);
  });

  it('an API that refuses every token causes one forced refresh, never one per call', async () => {
    const { tokens } = newService(endpoint);
    await tokens.saveLogin('sid', loginTokens({ refreshToken: endpoint.current }));
    const grantsBefore = endpoint.counts.grants;
    for (let call = 0; call < 5; call += 1) {
      const held = await tokens.getTokens('sid');
      await tokens.getTokens('sid', { force: 'rejected_by_api', rejectedAccessToken: held.accessToken });
    }
    assert.equal(endpoint.counts.grants - grantsBefore, 1);
  });
});

describe('the ID token a refresh brings back (OIDC Core §12.2)', () => {
  let endpoint: TokenEndpoint;
  let factory: TokenFactory;
  before(async () => {
    endpoint = await startTokenEndpoint('rt-login', 5);
    factory = await createTokenFactory();
  });
  after(async () => {
    await endpoint.close();
    await factory.close();
  });

  const idToken = (claims: Record<string, unknown>) =>
    factory.mint({ iss: endpoint.issuer, aud: ENDPOINT_CLIENT_ID, sub: 'alice', ...claims }, { typ: null });

  it('same iss and sub: accepted and stored', async () => {
    const { tokens } = newService(endpoint);
    await tokens.saveLogin(
      'sid',
      loginTokens({ ...expired(), refreshToken: endpoint.current, idToken: await idToken({}) }),
    );
    endpoint.idToken = () => idToken({});
    try {
      const refreshed = await tokens.getTokens('sid');
      assert.match(refreshed.accessToken, /^at-refreshed-/);
    } finally {
      endpoint.idToken = undefined;
    }
  });

  for (const [what, claims] of [
    ['another sub', { sub: 'mallory' }],
    ['another iss', { iss: 'https://elsewhere.example' }],
    ['an aud without this client', { aud: 'another-client' }],
  ] as const) {
    it(`${what}: the login ends and the new refresh token is revoked`, async () => {
      const { tokens } = newService(endpoint);
      await tokens.saveLogin(
        'sid',
        loginTokens({ ...expired(), refreshToken: endpoint.current, idToken: await idToken({}) }),
      );
      endpoint.idToken = () => idToken(claims);
      try {
        const error = await rejection(tokens.getTokens('sid'));
        assert.ok(error instanceof LoginRequiredError, `${error.code}`);
        assert.equal(await tokens.peek('sid'), undefined);
        assert.ok(endpoint.revoked.length > 0, 'a refresh token was revoked');
      } finally {
        endpoint.idToken = undefined;
      }
    });
  }
});

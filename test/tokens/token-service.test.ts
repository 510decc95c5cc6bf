/**
 * The refresh policy of TokenService against a scripted token endpoint:
 * refresh only when needed, once for many callers, the rotated refresh token
 * used next, and what each provider failure does to the login.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ClientAuthenticationError, LoginRequiredError, ProviderUnavailableError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import type { TokenSet } from '../../src/oidc/tokens.js';
import { MemoryFlowLog } from '../../src/stores/memory/flow-log.js';
import { MemoryTokenStore } from '../../src/stores/memory/token-store.js';
import { localRefreshLock } from '../../src/tokens/refresh-lock.js';
import { TokenService } from '../../src/tokens/token-service.js';
import { startTokenEndpoint } from '../helpers/token-endpoint.js';

type Endpoint = Awaited<ReturnType<typeof startTokenEndpoint>>;

function tokenSet(overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: 'at-login',
    tokenType: 'bearer',
    expiresAt: Date.now() + 300_000,
    lifetimeSeconds: 300,
    refreshToken: 'rt-login',
    idToken: undefined,
    scope: 'openid',
    receivedAt: Date.now(),
    version: 1,
    ...overrides,
  };
}

describe('TokenService', () => {
  let endpoint: Endpoint;
  let store: MemoryTokenStore;
  let flowLog: MemoryFlowLog;
  let service: TokenService;

  before(async () => {
    endpoint = await startTokenEndpoint('rt-login', 50);
  });
  after(() => endpoint.close());
  beforeEach(() => {
    endpoint.behaviour.mode = 'rotate';
    store = new MemoryTokenStore(100);
    flowLog = new MemoryFlowLog(100);
    service = new TokenService({
      store,
      provider: endpoint.provider,
      lock: localRefreshLock,
      flowLog,
      logger: createLogger('silent'),
      idleSeconds: 3600,
    });
  });

  it('hands out a valid token without a grant', async () => {
    await service.saveLogin('s1', tokenSet());
    const grants = endpoint.counts.grants;
    assert.equal((await service.getTokens('s1')).accessToken, 'at-login');
    assert.equal(endpoint.counts.grants, grants);
  });

  it('refreshes an expiring token once for 10 concurrent callers and keeps the rotated refresh token', async () => {
    await service.saveLogin('s2', tokenSet({ expiresAt: Date.now() - 1, refreshToken: await currentRefreshToken() }));
    const grants = endpoint.counts.grants;
    const results = await Promise.all(Array.from({ length: 10 }, () => service.getTokens('s2')));
    assert.equal(endpoint.counts.grants, grants + 1, 'one grant');
    assert.equal(new Set(results.map((t) => t.accessToken)).size, 1, 'everyone got the same new token');
    const stored = await service.peek('s2');
    assert.equal(stored?.version, 2);
    assert.match(stored?.refreshToken ?? '', /^rt-rotated-/);
    assert.equal(endpoint.counts.reused, 0);
    assert.deepEqual(
      (await flowLog.list('s2')).map((e) => e.type),
      ['refresh'],
    );
  });

  it('a token the API rejected is refreshed once; a caller holding an already replaced token gets the new one', async () => {
    await service.saveLogin('s3', tokenSet({ refreshToken: await currentRefreshToken() }));
    const grants = endpoint.counts.grants;
    const fresh = await service.getTokens('s3', { force: 'rejected_by_api', rejectedAccessToken: 'at-login' });
    assert.notEqual(fresh.accessToken, 'at-login');
    const again = await service.getTokens('s3', { force: 'rejected_by_api', rejectedAccessToken: 'at-login' });
    assert.equal(again.accessToken, fresh.accessToken);
    assert.equal(endpoint.counts.grants, grants + 1);
  });

  it('invalid_grant ends the login: login_required, and the token record and flow log are gone', async () => {
    await service.saveLogin('s4', tokenSet({ expiresAt: Date.now() - 1 }));
    flowLog.append('s4', { type: 'api_call', at: Date.now(), data: {} });
    endpoint.behaviour.mode = 'invalid_grant';
    await assert.rejects(service.getTokens('s4'), LoginRequiredError);
    assert.equal(await service.peek('s4'), undefined);
    assert.deepEqual(await flowLog.list('s4'), []);
  });

  it('invalid_client (the app’s key or secret refused) keeps the login and names the settings, not a re-login', async () => {
    await service.saveLogin('s7', tokenSet({ expiresAt: Date.now() - 1 }));
    endpoint.behaviour.mode = 'invalid_client';
    await assert.rejects(service.getTokens('s7'), (err: unknown) => {
      assert.ok(err instanceof ClientAuthenticationError);
      assert.equal(err.status, 502);
      assert.match(err.publicMessage, /OIDC_AUTH_METHOD/);
      return true;
    });
    assert.equal((await service.peek('s7'))?.refreshToken, 'rt-login', 'the tokens are kept');
  });

  it('a provider outage keeps the tokens and answers 503', async () => {
    await service.saveLogin('s5', tokenSet({ expiresAt: Date.now() - 1 }));
    endpoint.behaviour.mode = 'unavailable';
    await assert.rejects(service.getTokens('s5'), ProviderUnavailableError);
    assert.equal((await service.peek('s5'))?.accessToken, 'at-login');
  });

  it('no refresh token: the expired login ends', async () => {
    await service.saveLogin('s6', tokenSet({ expiresAt: Date.now() - 1, refreshToken: undefined }));
    await assert.rejects(service.getTokens('s6'), LoginRequiredError);
    assert.equal(await service.peek('s6'), undefined);
  });

  it('endLogin returns the tokens it removed, so the caller can revoke them', async () => {
    await service.saveLogin('s7', tokenSet());
    assert.equal((await service.endLogin('s7'))?.refreshToken, 'rt-login');
    assert.equal(await service.peek('s7'), undefined);
  });

  /** The endpoint's current refresh token: whatever the last rotation left. */
  async function currentRefreshToken(): Promise<string> {
    return endpoint.counts.grants === 0 ? 'rt-login' : `rt-rotated-${endpoint.counts.grants}`;
  }
});

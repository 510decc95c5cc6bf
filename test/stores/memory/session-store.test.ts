/**
 * The in-memory session store as the app builds it (createServices without
 * REDIS_URL): a flood of started-but-unfinished logins (one anonymous session
 * each) must not evict the sessions of users who are logged in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type session from 'express-session';
import { loadConfig } from '../../../src/config/config.js';
import { createLogger } from '../../../src/logger.js';
import { createServices } from '../../../src/services.js';

const cookie = { originalMaxAge: 600_000, maxAge: 600_000 } as session.Cookie;

function save(store: session.Store, id: string, data: Partial<session.SessionData>): Promise<void> {
  return new Promise((resolve, reject) =>
    store.set(id, { cookie, ...data } as session.SessionData, (err) => (err ? reject(err) : resolve())),
  );
}

function load(store: session.Store, id: string): Promise<session.SessionData | null | undefined> {
  return new Promise((resolve, reject) => store.get(id, (err, value) => (err ? reject(err) : resolve(value))));
}

describe('memory session store under a login flood', () => {
  it('keeps every logged-in session while thousands of anonymous logins start', async () => {
    const services = await createServices(
      loadConfig({ NODE_ENV: 'test', SESSION_MAX_COUNT: '100', LOG_LEVEL: 'silent' }),
      createLogger('silent'),
    );
    try {
      const store = services.sessionStore;
      const user = { sub: 'alice', name: 'Alice', email: undefined, claims: {} };
      for (let i = 0; i < 50; i += 1) await save(store, `user-${i}`, { user, authenticatedAt: Date.now() });
      // An anonymous session that becomes a login moves to the protected side.
      await save(store, 'tab', { csrfToken: 't' });
      await save(store, 'tab', { user, authenticatedAt: Date.now() });
      for (let i = 0; i < 5_000; i += 1) await save(store, `flood-${i}`, { pendingLogins: {} });
      for (let i = 0; i < 50; i += 1) assert.ok((await load(store, `user-${i}`))?.user, `user-${i} survived`);
      assert.ok((await load(store, 'tab'))?.user, 'the session that logged in survived');
      // The newest pending logins are still there: the flood only pushed out older anonymous sessions.
      assert.ok(await load(store, 'flood-4999'));
    } finally {
      await services.close();
    }
  });
});

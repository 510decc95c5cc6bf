/** The /api fast path's view of the session, over the real in-memory session store. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type session from 'express-session';
import type { SessionConfig } from '../../src/config/config.js';
import { serializeSessionCookie } from '../../src/session/session-cookie.js';
import { SessionReader } from '../../src/session/session-reader.js';
import { KeyValueSessionStore, MemoryKeyValueStore } from '../../src/stores/memory/session-store.js';

const settings = {
  secrets: ['a-secret-that-is-long-enough-0123456789'],
  cookieName: 'sid',
  secureCookie: false,
  idleSeconds: 600,
  absoluteSeconds: 3600,
  maxSessions: 100,
} as unknown as SessionConfig;

function setUp(secure = false) {
  const store = new KeyValueSessionStore(new MemoryKeyValueStore(100), { defaultTtlSeconds: 600 });
  const reader = new SessionReader({ ...settings, secureCookie: secure }, store, { isSecure: () => false });
  return { store, reader };
}

function requestWith(id: string, cookieName = 'sid'): IncomingMessage {
  const header = serializeSessionCookie(settings, id, new Date(Date.now() + 60_000)).split(';')[0] ?? '';
  return { headers: { cookie: header.replace(/^sid=/, `${cookieName}=`) } } as IncomingMessage;
}

function save(store: session.Store, id: string, data: object): Promise<void> {
  return new Promise((resolve) => store.set(id, { cookie: {}, ...data } as session.SessionData, () => resolve()));
}

describe('SessionReader', () => {
  it('reads the id from a well-signed cookie only', () => {
    const { reader } = setUp();
    assert.equal(reader.idOf(requestWith('abc')), 'abc');
    assert.equal(reader.idOf(requestWith('abc', 'other')), undefined);
    assert.equal(reader.idOf({ headers: { cookie: 'sid=s%3Aabc.forged' } } as IncomingMessage), undefined);
    assert.equal(reader.idOf({ headers: {} } as IncomingMessage), undefined);
  });

  it('loads a stored session, and nothing for an unknown id', async () => {
    const { store, reader } = setUp();
    await save(store, 'known', { user: { sub: 'alice' }, authenticatedAt: Date.now() });
    assert.equal((await reader.load('known'))?.data.user?.sub, 'alice');
    assert.equal(await reader.load('unknown'), undefined);
  });

  it('parses a stored record once, hands out a frozen copy, and reads a rewritten record again', async () => {
    const { store, reader } = setUp();
    await save(store, 'hot', { user: { sub: 'alice', claims: { email: 'a@example.com' } }, authenticatedAt: 1 });
    const first = await reader.load('hot');
    const second = await reader.load('hot');
    assert.ok(first && second);
    assert.equal(second.data, first.data, 'the same parsed copy while the stored record is unchanged');
    assert.ok(Object.isFrozen(first.data) && Object.isFrozen(first.data.user?.claims), 'frozen all the way down');
    await save(store, 'hot', { user: { sub: 'bob', claims: {} }, authenticatedAt: 2 });
    assert.equal((await reader.load('hot'))?.data.user?.sub, 'bob');
    await new Promise((resolve) => store.destroy('hot', resolve));
    assert.equal(await reader.load('hot'), undefined);
  });

  it('applies the absolute lifetime to the login time', async () => {
    const { reader } = setUp();
    const at = (authenticatedAt: number) => ({ id: 'x', data: { authenticatedAt } as session.SessionData });
    assert.equal(reader.expired(at(Date.now() - 3_599_000)), false);
    assert.equal(reader.expired(at(Date.now() - 3_601_000)), true);
  });

  it('rolls the cookie at most once per interval per session', async () => {
    const { store, reader } = setUp();
    await save(store, 'roll', { user: { sub: 'alice' }, authenticatedAt: Date.now() });
    const loaded = await reader.load('roll');
    assert.ok(loaded);
    const first = reader.keepAlive(requestWith('roll'), loaded);
    assert.match(first ?? '', /^sid=s%3Aroll\./);
    assert.equal(reader.keepAlive(requestWith('roll'), loaded), undefined, 'not again within the interval');
  });

  it('never sends a Secure cookie over an insecure connection', async () => {
    const { store, reader } = setUp(true);
    await save(store, 'plain', { user: { sub: 'alice' }, authenticatedAt: Date.now() });
    const loaded = await reader.load('plain');
    assert.ok(loaded);
    assert.equal(reader.keepAlive(requestWith('plain'), loaded), undefined);
  });

  it('clearUser removes the login and keeps the rest of the session', async () => {
    const { store, reader } = setUp();
    await save(store, 'end', { user: { sub: 'alice' }, authenticatedAt: Date.now(), csrfToken: 'form-token' });
    const loaded = await reader.load('end');
    assert.ok(loaded);
    await reader.clearUser(loaded);
    const after = await reader.load('end');
    assert.equal(after?.data.user, undefined);
    assert.equal(after?.data.authenticatedAt, undefined);
    assert.equal(after?.data.csrfToken, 'form-token');
  });
});

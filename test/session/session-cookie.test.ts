import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from 'cookie-signature';
import type { SessionConfig } from '../../src/config/config.js';
import {
  rolledExpiry,
  serializeSessionCookie,
  sessionCookieOptions,
  verifySessionCookie,
} from '../../src/session/session-cookie.js';

const settings = (overrides: Partial<SessionConfig> = {}) =>
  ({
    secrets: ['new-secret-0123456789abcdef0123456789', 'old-secret-0123456789abcdef0123456789'],
    cookieName: '__Host-sid',
    secureCookie: true,
    idleSeconds: 1800,
    ...overrides,
  }) as SessionConfig;

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Lax, path / and Secure when configured', () => {
    assert.deepEqual(sessionCookieOptions(settings()), { path: '/', httpOnly: true, sameSite: 'lax', secure: true });
    const header = serializeSessionCookie(settings(), 'abc', new Date(Date.UTC(2030, 0, 1)));
    assert.match(header, /^__Host-sid=s%3Aabc\./);
    for (const attribute of [/Path=\//, /HttpOnly/, /SameSite=Lax/, /Secure/, /Expires=Tue, 01 Jan 2030/]) {
      assert.match(header, attribute);
    }
  });

  it('is signed with the first secret and verified with any (rotation)', () => {
    const s = settings();
    const header = serializeSessionCookie(s, 'id-1', new Date());
    const raw = decodeURIComponent(/=([^;]+)/.exec(header)?.[1] ?? '');
    assert.equal(verifySessionCookie(raw, s.secrets), 'id-1');
    const signedWithOld = `s:${sign('id-2', s.secrets[1] as string)}`;
    assert.equal(verifySessionCookie(signedWithOld, s.secrets), 'id-2');
    assert.equal(verifySessionCookie(signedWithOld, [s.secrets[0] as string]), undefined, 'a retired secret');
  });

  it('refuses tampered, unsigned and foreign values', () => {
    const s = settings();
    const raw = `s:${sign('id-1', s.secrets[0] as string)}`;
    assert.equal(verifySessionCookie(raw.replace('id-1', 'id-2'), s.secrets), undefined);
    assert.equal(verifySessionCookie('id-1', s.secrets), undefined);
    assert.equal(verifySessionCookie(`s:${sign('id-1', 'someone-else')}`, s.secrets), undefined);
  });

  it('rolls the expiry to idleSeconds from now', () => {
    assert.equal(rolledExpiry(settings({ idleSeconds: 60 }), 1_000).getTime(), 61_000);
  });
});

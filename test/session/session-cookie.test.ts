import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sign } from 'cookie-signature';
import type { SessionConfig } from '../../src/config/config.js';
import {
  rolledExpiry,
  serializeSessionCookie,
  sessionCookieOptions,
  SessionCookieVerifier,
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

describe('SessionCookieVerifier', () => {
  const settings = { cookieName: 'sid', secrets: ['verifier-test-secret-0123456789abcdef'] };

  it('holds a bounded number of bytes however many fake cookies arrive, and still knows a real one', () => {
    const verifier = new SessionCookieVerifier(settings);
    const real = `sid=${encodeURIComponent(`s:${sign('real-session-id', settings.secrets[0] ?? '')}`)}`;
    assert.equal(verifier.idOf(real), 'real-session-id');
    // 5 000 anonymous clients, each with its own 16 KB fake cookie (80 MB if every one were kept).
    const filler = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 5_000; i += 1) {
      assert.equal(verifier.idOf(`sid=s%3A${i}.${filler}`), undefined);
    }
    // Forged cookies of a plausible size are cached (they cost an HMAC), within the byte bound.
    for (let i = 0; i < 30_000; i += 1) {
      assert.equal(verifier.idOf(`sid=s%3Aforged-${i}.${'y'.repeat(43)}`), undefined);
    }
    assert.ok(verifier.cachedBytes <= 2 * 1024 * 1024, `cache holds ${verifier.cachedBytes} bytes`);
    assert.equal(verifier.idOf(real), 'real-session-id');
  });

  it('refuses a session cookie longer than any we issue without checking it', () => {
    const verifier = new SessionCookieVerifier(settings);
    const long = `s:${sign(`id-${'z'.repeat(200)}`, settings.secrets[0] ?? '')}`;
    assert.equal(verifier.idOf(`sid=${encodeURIComponent(long)}`), undefined);
    assert.equal(verifier.cachedBytes, 0);
  });
});

/**
 * One set of security headers: API answers carry the pages' headers that protect a response which is not a
 * document, with a deny-all CSP instead of the nonce one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiSecurityHeaders } from '../../src/web/security-headers.js';
import { logIn } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

function pairs(flat: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) map.set((flat[i] as string).toLowerCase(), flat[i + 1] as string);
  return map;
}

describe('security headers', () => {
  it('API answers: deny-all CSP, no framing, no sniffing, no referrer; HSTS only over https', () => {
    const plain = pairs(apiSecurityHeaders(false));
    assert.equal(plain.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'");
    assert.equal(plain.get('x-frame-options'), 'DENY');
    assert.equal(plain.get('x-content-type-options'), 'nosniff');
    assert.equal(plain.get('referrer-policy'), 'no-referrer');
    assert.equal(plain.has('strict-transport-security'), false);
    assert.match(pairs(apiSecurityHeaders(true)).get('strict-transport-security') ?? '', /max-age=31536000/);
    assert.equal(
      plain.get('cross-origin-resource-policy'),
      'same-origin',
      'no cross-origin no-cors reads of an answer',
    );
  });

  it('API answers leave out the headers that only act on a displayed document (OWASP REST Security Cheat Sheet)', () => {
    const names = [...pairs(apiSecurityHeaders(true)).keys()];
    for (const pageOnly of [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ]) {
      assert.ok(!names.includes(pageOnly), pageOnly);
    }
  });

  describe('pages and the /api fast path send the same headers', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => stack.close());

    it('every header but the CSP has the same value on a page and on an API answer', async () => {
      const browser = new Browser();
      await logIn(stack, browser);
      const page = await browser.get(`${stack.appUrl}/profile`);
      const api = await browser.get(`${stack.appUrl}/api/me`, { headers: { 'X-CSRF': '1' } });
      assert.equal(api.status, 200);
      for (const [name, value] of pairs(apiSecurityHeaders(false))) {
        assert.equal(api.headers.get(name), value, `API ${name}`);
        if (name !== 'content-security-policy') assert.equal(page.headers.get(name), value, `page ${name}`);
      }
    });
  });
});

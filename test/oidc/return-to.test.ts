import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeReturnTo } from '../../src/oidc/return-to.js';

/** Open-redirect payloads in the style of oauth2-proxy's and mod_auth_openidc's corpora. */
export const HOSTILE_RETURN_TO = [
  '//evil.example',
  '//evil.example/path',
  '/\\evil.example',
  '\\/evil.example',
  '/%5cevil.example',
  '/%5Cevil.example',
  '/%2f%2fevil.example',
  '/%2F%2Fevil.example',
  '%2f%2fevil.example',
  '/%252f%252fevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  '/ /evil.example',
  '/%20/evil.example',
  'https://evil.example',
  'https:evil.example',
  'http:/evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '\\\\evil.example',
  '/\r\nLocation: https://evil.example',
  '/%0d%0aLocation:%20https://evil.example',
  '/x/../\\evil.example',
  '/./\\evil.example',
  'evil.example',
  '',
  '/%E3%80%82evil.example/../..//evil.example',
  '/\u0000/evil.example',
  `/${'a'.repeat(3000)}`,
];

describe('safeReturnTo', () => {
  it('keeps same-origin relative paths with their query', () => {
    for (const path of ['/', '/profile', '/console?tab=calls', '/a/b/c', '/search?q=%2F']) {
      assert.equal(safeReturnTo(path), path);
    }
  });

  it('falls back to / for every open-redirect payload', () => {
    for (const payload of HOSTILE_RETURN_TO) {
      const result = safeReturnTo(payload);
      assert.equal(result, '/', `payload ${JSON.stringify(payload)} gave ${result}`);
    }
  });

  it('never returns something that leaves the origin (property check over random strings)', () => {
    const alphabet = ['/', '\\', '%', '2', 'f', '5', 'c', '.', ':', 'a', '@', '?', '#', ' ', '\t', 'e', 'h'];
    for (let i = 0; i < 5000; i += 1) {
      let candidate = '';
      const length = 1 + Math.floor(Math.random() * 12);
      for (let j = 0; j < length; j += 1) candidate += alphabet[Math.floor(Math.random() * alphabet.length)];
      const result = safeReturnTo(candidate);
      const resolved = new URL(result, 'https://app.example');
      assert.equal(resolved.origin, 'https://app.example', `${JSON.stringify(candidate)} → ${result}`);
      assert.ok(result.startsWith('/') && !result.startsWith('//'), `${JSON.stringify(candidate)} → ${result}`);
    }
  });

  it('ignores non-string input', () => {
    assert.equal(safeReturnTo(['/a', '/b']), '/');
    assert.equal(safeReturnTo(undefined), '/');
    assert.equal(safeReturnTo({ a: 1 }), '/');
  });
});

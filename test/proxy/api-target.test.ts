import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downstreamResponseHeaders, mapApiTarget, upstreamRequestHeaders } from '../../src/proxy/api-target.js';
import { EVIL, PATH_TRICKS } from './path-tricks.js';

const base = new URL('https://api.internal.example/v1/');

describe('mapApiTarget', () => {
  it('maps /api/<path>?query to <base>/<path>?query', () => {
    assert.equal(mapApiTarget('/api/appointments', base).href, 'https://api.internal.example/v1/appointments');
    assert.equal(mapApiTarget('/api/a/b?x=1&y=%2F', base).href, 'https://api.internal.example/v1/a/b?x=1&y=%2F');
    assert.equal(mapApiTarget('/api/caf%C3%A9', base).href, 'https://api.internal.example/v1/caf%C3%A9');
  });

  it('refuses every path trick of the corpus with invalid_path (test/proxy/path-tricks.ts)', () => {
    for (const trick of PATH_TRICKS) {
      assert.throws(
        () => mapApiTarget(`/api${trick.replaceAll(EVIL, 'evil.test')}`, base),
        { code: 'invalid_path' },
        trick,
      );
    }
  });

  it('still allows a semicolon or a percent sign that is not a trick', () => {
    assert.equal(mapApiTarget('/api/a;b/c', base).pathname, '/v1/a;b/c');
    assert.equal(mapApiTarget('/api/...;x', base).pathname, '/v1/...;x');
    assert.equal(mapApiTarget('/api/x?discount=10%25', base).search, '?discount=10%25');
  });

  it('keeps an absolute-looking segment inside the prefix', () => {
    const url = mapApiTarget('/api/https:/evil.test/x', base);
    assert.equal(url.origin, base.origin);
    assert.ok(url.pathname.startsWith('/v1/'));
  });
});

describe('upstreamRequestHeaders', () => {
  it('drops credentials, the CSRF header, forwarding headers in any spelling and hop-by-hop headers', () => {
    const out = upstreamRequestHeaders({
      accept: 'application/json',
      'content-type': 'application/json',
      cookie: 'sid=abc',
      authorization: 'Bearer attacker',
      'x-csrf': '1',
      forwarded: 'for=1.2.3.4',
      'x-forwarded-for': '1.2.3.4',
      X_Forwarded_For: '1.2.3.4',
      'x-forwarded-host': 'evil.test',
      x_forwarded_proto: 'http',
      connection: 'keep-alive, X-Secret',
      'x-secret': 'hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'websocket',
      host: 'localhost:3000',
      'x-real-ip': '1.2.3.4',
      'proxy-authorization': 'Basic x',
      'x-request-id': 'abc',
      'x-forwarded': 'for=1.2.3.4',
      'client-ip': '1.2.3.4',
      'x-originating-ip': '1.2.3.4',
      'x-host': 'evil.test',
      'x-original-forwarded-for': '1.2.3.4',
      'x-original-url': '/admin',
      'x-rewrite-url': '/admin',
      'true-client-ip': '1.2.3.4',
      'cf-connecting-ip': '1.2.3.4',
      x_originating_ip: '1.2.3.4',
    });
    assert.deepEqual(Object.keys(out).sort(), ['accept', 'content-type', 'x-request-id']);
  });
});

describe('downstreamResponseHeaders', () => {
  it('never passes Set-Cookie or CORS headers back, and maps or drops Location', () => {
    const out = downstreamResponseHeaders(
      {
        'content-type': 'application/json',
        'set-cookie': ['a=b'],
        'access-control-allow-origin': '*',
        connection: 'close',
        location: 'https://api.internal.example/v1/appointments/7',
        'www-authenticate': 'Bearer error="invalid_token"',
        'clear-site-data': '"cookies", "storage"',
        refresh: '0; url=https://evil.test/',
      },
      base,
    );
    assert.deepEqual(out, {
      'content-type': 'application/json',
      location: '/api/appointments/7',
      'www-authenticate': 'Bearer error="invalid_token"',
      'cache-control': 'no-store',
      vary: 'Cookie',
    });
    assert.equal(downstreamResponseHeaders({ location: 'https://evil.test/x' }, base).location, undefined);
  });
});

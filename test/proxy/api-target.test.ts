import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downstreamResponseHeaders, mapApiTarget, upstreamRequestHeaders } from '../../src/proxy/api-target.js';

const base = new URL('https://api.internal.example/v1/');

describe('mapApiTarget', () => {
  it('maps /api/<path>?query to <base>/<path>?query', () => {
    assert.equal(mapApiTarget('/api/appointments', base).href, 'https://api.internal.example/v1/appointments');
    assert.equal(mapApiTarget('/api/a/b?x=1&y=%2F', base).href, 'https://api.internal.example/v1/a/b?x=1&y=%2F');
    assert.equal(mapApiTarget('/api/caf%C3%A9', base).href, 'https://api.internal.example/v1/caf%C3%A9');
  });

  it('refuses every path trick that could leave the origin or the prefix', () => {
    const tricks = [
      '/api//evil.test/x',
      '/api/%2F%2Fevil.test/x',
      '/api/%2f%2fevil.test',
      '/api/http:%2F%2Fevil.test',
      '/api/..%2F..%2Fadmin',
      '/api/%2e%2e/x',
      '/api/%2E%2E/x',
      '/api/../x',
      '/api/./x',
      '/api/a/../../x',
      '/api/x%00y',
      '/api/x\u0000y',
      '/api/%5cevil',
      '/api/a\\b',
      '/api/',
      '/api/a//b',
      '/api/%zz',
      '/api/.%2e/x',
      '/api/a/%2e%2e%2f%2e%2e/x',
      '/api/x?q=%00',
    ];
    for (const trick of tricks) {
      assert.throws(() => mapApiTarget(trick, base), { code: 'invalid_path' }, trick);
    }
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
      },
      base,
    );
    assert.deepEqual(out, {
      'content-type': 'application/json',
      location: '/api/appointments/7',
      'www-authenticate': 'Bearer error="invalid_token"',
    });
    assert.equal(downstreamResponseHeaders({ location: 'https://evil.test/x' }, base).location, undefined);
  });
});

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientIp, isSecureRequest } from '../../src/web/forwarded.js';

function request(headers: Record<string, string>, remoteAddress = '10.0.0.1', encrypted = false): IncomingMessage {
  return { headers, socket: { remoteAddress, encrypted }, connection: { remoteAddress } } as unknown as IncomingMessage;
}

describe('forwarded headers are believed only as far as TRUST_PROXY says', () => {
  const spoofed = { 'x-forwarded-for': '6.6.6.6, 7.7.7.7', 'x-forwarded-proto': 'https' };
  it('TRUST_PROXY=0: the socket peer, plain http', () => {
    assert.equal(clientIp(request(spoofed), 0), '10.0.0.1');
    assert.equal(isSecureRequest(request(spoofed), 0), false);
  });
  it('TRUST_PROXY=1: one hop back, and the proxy’s word on https', () => {
    assert.equal(clientIp(request(spoofed), 1), '7.7.7.7');
    assert.equal(isSecureRequest(request(spoofed), 1), true);
    assert.equal(isSecureRequest(request({ 'x-forwarded-proto': 'http, https' }), 1), false);
  });
  it('TLS on the socket itself is secure whatever the headers say', () => {
    assert.equal(isSecureRequest(request({}, '10.0.0.1', true), 0), true);
  });
});

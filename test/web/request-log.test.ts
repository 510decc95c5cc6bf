import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { levelFor, pathOf, requestIdOf } from '../../src/web/request-log.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('request id', () => {
  it('keeps a well-formed X-Request-Id', () => {
    assert.equal(requestIdOf(request({ 'x-request-id': 'abc-123_x.y' })), 'abc-123_x.y');
  });
  for (const hostile of ['a b', 'x\nforged log line', 'a'.repeat(65), '<script>', '']) {
    it(`replaces ${JSON.stringify(hostile.slice(0, 20))} with a fresh UUID`, () => {
      assert.match(requestIdOf(request({ 'x-request-id': hostile })), /^[0-9a-f-]{36}$/);
    });
  }
});

describe('access line fields', () => {
  it('logs the path without its query (the callback query holds the code)', () => {
    assert.equal(pathOf('/callback?code=secret&state=s'), '/callback');
    assert.equal(pathOf('/api/me'), '/api/me');
    assert.equal(pathOf(undefined), '');
  });
  it('picks the level from the status', () => {
    assert.equal(levelFor(200), 'info');
    assert.equal(levelFor(302), 'info');
    assert.equal(levelFor(404), 'warn');
    assert.equal(levelFor(503), 'error');
    assert.equal(levelFor(200, true), 'error');
  });
});

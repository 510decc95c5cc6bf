import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request, Response } from 'express';
import { AppError } from '../../src/errors.js';
import { hasCsrfHeader, newCsrfToken, requireCsrfHeader, requireSameOriginForm } from '../../src/web/csrf.js';

const ORIGIN = 'http://localhost:3000';

function run(handler: typeof requireCsrfHeader, req: Partial<Request>): unknown {
  let passed: unknown = 'not called';
  handler(req as Request, {} as Response, (err?: unknown) => (passed = err));
  return passed;
}

describe('the X-CSRF header rule', () => {
  for (const [value, ok] of [
    ['1', true],
    ['true', false],
    ['', false],
    [undefined, false],
  ] as const) {
    it(`X-CSRF: ${String(value)} → ${ok ? 'accepted' : '403'}`, () => {
      const req = { headers: value === undefined ? {} : { 'x-csrf': value } } as unknown as Request;
      assert.equal(hasCsrfHeader(req), ok);
      const result = run(requireCsrfHeader, req);
      if (ok) assert.equal(result, undefined);
      else assert.equal((result as AppError).code, 'csrf_header_missing');
    });
  }
});

describe('the form rule: same origin and the session’s form token', () => {
  const token = newCsrfToken();
  const form = (headers: Record<string, string>, csrf: string | undefined, sessionToken: string | null = token) =>
    run(requireSameOriginForm(ORIGIN), {
      headers,
      body: csrf === undefined ? {} : { csrf },
      session: { csrfToken: sessionToken ?? undefined } as Request['session'],
    });

  const cases: Array<[string, Record<string, string>, string | undefined, boolean]> = [
    ['same-origin fetch metadata and the right token', { 'sec-fetch-site': 'same-origin' }, token, true],
    ['no fetch metadata, our Origin', { origin: ORIGIN }, token, true],
    ['Origin: null (no-referrer pages in Chromium) and the right token', { origin: 'null' }, token, true],
    ['cross-site fetch metadata', { 'sec-fetch-site': 'cross-site', origin: ORIGIN }, token, false],
    ['same-site (a sibling subdomain) is not same-origin', { 'sec-fetch-site': 'same-site' }, token, false],
    ['a foreign Origin', { origin: 'https://evil.example' }, token, false],
    ['a wrong token', { 'sec-fetch-site': 'same-origin' }, newCsrfToken(), false],
    ['no token', { 'sec-fetch-site': 'same-origin' }, undefined, false],
  ];
  for (const [name, headers, csrf, ok] of cases) {
    it(`${name} → ${ok ? 'accepted' : '403'}`, () => {
      const result = form(headers, csrf);
      if (ok) assert.equal(result, undefined);
      else assert.equal((result as AppError).code, 'csrf_check_failed');
    });
  }

  it('a session without a form token refuses every form', () => {
    assert.equal((form({ 'sec-fetch-site': 'same-origin' }, token, null) as AppError).code, 'csrf_check_failed');
  });
});

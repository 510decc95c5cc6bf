import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowEvent } from '../../src/flow/flow-log.js';
import { buildTimeline, describeEnding, shorten } from '../../src/flow/timeline.js';
import { translator } from '../../src/i18n/catalogues.js';
import { formatters } from '../../src/i18n/format.js';

const ENGLISH = { t: translator('en'), fmt: formatters('en') };
import type { LoginTrace } from '../../src/session/session-data.js';

const STATE = 'Qm9ndXMtc3RhdGUtdmFsdWUtZm9yLXRlc3Rz';

const trace: LoginTrace = {
  authorize: {
    at: 1_000,
    parameters: { response_type: 'code', state: STATE, nonce: STATE, resource: 'https://api.example/' },
  },
  callback: { at: 2_000, checks: ['state', 'iss', 'nonce'] },
  token: { at: 2_000, tokenType: 'bearer', lifetimeSeconds: 120, scope: 'openid', refreshToken: true, idToken: true },
};

const call = (at: number, status: number): FlowEvent => ({
  type: 'api_call',
  at,
  data: { method: 'GET', path: '/me', status, latencyMs: 3 },
});

describe('buildTimeline', () => {
  it('explains the login in order: authorize, callback, token; later events by time', () => {
    const refresh: FlowEvent = {
      type: 'refresh',
      at: 5_000,
      data: { reason: 'expiring', rotated: true, lifetimeSeconds: 120, newIdToken: false, latencyMs: 9 },
    };
    const steps = buildTimeline(ENGLISH, trace, [refresh, call(4_000, 200)]);
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['authorize', 'callback', 'token', 'api_call', 'refresh'],
    );
    assert.ok(
      steps[0]?.specs.some((s) => s.label.startsWith('RFC 8707')),
      'resource → RFC 8707 link',
    );
    assert.match(steps[4]?.why ?? '', /rotated/);
  });

  it('shows random values shortened, never whole', () => {
    const text = JSON.stringify(buildTimeline(ENGLISH, trace, []));
    assert.equal(text.includes(STATE), false);
    assert.ok(text.includes(shorten(ENGLISH.t, STATE)));
    assert.equal(shorten(ENGLISH.t, 'short'), 'short');
  });

  it('groups consecutive API calls into one step with a row per call', () => {
    const steps = buildTimeline(ENGLISH, undefined, [call(1, 200), call(2, 404), call(3, 200)]);
    assert.equal(steps.length, 1);
    assert.equal(steps[0]?.title, '3 API calls');
    assert.deepEqual(
      steps[0]?.calls?.map((c) => c.status),
      [200, 404, 200],
    );
    assert.equal(steps[0]?.tone, 'info', 'not all calls succeeded');
  });

  it('shows a named API’s grant with the resource/audience and scope that named it, and a refusal as such', () => {
    const grant: FlowEvent = {
      type: 'refresh',
      at: 5_000,
      data: {
        reason: 'first_use',
        api: 'billing',
        resource: 'https://billing.example/',
        scope: 'read:invoices',
        rotated: true,
        lifetimeSeconds: 60,
        newIdToken: false,
        latencyMs: 4,
      },
    };
    const refused: FlowEvent = {
      type: 'refresh_failed',
      at: 6_000,
      data: {
        reason: 'first_use',
        api: 'admin',
        audience: 'https://admin.example/',
        error: 'invalid_target',
        status: 403,
      },
    };
    const [first, second] = buildTimeline(ENGLISH, undefined, [grant, refused]);
    assert.equal(first?.title, 'Access token for the billing API');
    assert.deepEqual(first?.facts.slice(0, 3), [
      ['api', 'billing'],
      ['resource', 'https://billing.example/'],
      ['scope', 'read:invoices'],
    ]);
    assert.ok(first?.specs.some((spec) => spec.label.startsWith('RFC 8707 §2.2')));
    assert.match(second?.what ?? '', /invalid_target/);
    assert.match(second?.why ?? '', /api_not_authorized/);
    assert.ok(second?.facts.some(([name, value]) => name === 'audience' && value === 'https://admin.example/'));
    assert.ok(second?.specs.some((spec) => spec.label === 'Auth0 multi-resource refresh token'));
  });
});

describe('describeEnding', () => {
  it('a back-channel logout: who sent it, which claims matched, what was revoked, with §2.4–2.7', () => {
    const step = describeEnding(ENGLISH.t, {
      by: 'provider',
      at: 9_000,
      issuer: 'https://op.example/',
      matched: ['sid', 'sub'],
      refreshTokenRevoked: true,
    });
    const facts = Object.fromEntries(step.facts.map(([name, value]) => [`${name}:${value}`, true]));
    assert.ok(facts['sent by:https://op.example/']);
    assert.equal(step.facts.filter(([name]) => name === 'matched').length, 2);
    assert.ok(step.facts.some(([name, value]) => name === 'refresh token' && /revoked at the provider/.test(value)));
    assert.deepEqual(
      step.specs.filter((s) => s.href.includes('openid-connect-backchannel-1_0')).map((s) => s.label.split(' ')[5]),
      ['§2.4', '§2.5', '§2.6', '§2.7'],
    );
  });

  it('says so when no refresh token was revoked, and names the device for a sign-out by the user', () => {
    const step = describeEnding(ENGLISH.t, {
      by: 'user',
      at: 9_000,
      from: 'Safari on iOS',
      refreshTokenRevoked: false,
    });
    assert.match(step.what, /Safari on iOS/);
    assert.ok(step.facts.some(([name, value]) => name === 'refresh token' && /none held/.test(value)));
  });
});

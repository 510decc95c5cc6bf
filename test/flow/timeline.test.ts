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

  it('a pushed request (PAR) is named so, with its request_uri shortened and its expires_in (RFC 9126 §2.2)', () => {
    const requestUri = `urn:ietf:params:oauth:request_uri:${STATE}`;
    const pushed = { ...trace, authorize: { ...trace.authorize, pushed: { requestUri, expiresIn: 90 } } };
    const [step] = buildTimeline(ENGLISH, pushed, []);
    assert.equal(step?.title, 'Pushed authorization request (PAR)');
    const facts = new Map(step?.facts);
    assert.equal(facts.get('request_uri'), `urn:ietf:params:oauth:request_uri:${shorten(ENGLISH.t, STATE)}`);
    assert.ok((facts.get('expires_in') ?? '').startsWith(`${ENGLISH.fmt.duration(90)}:`));
    assert.ok(step?.specs.some((s) => s.href.endsWith('rfc9126#section-2.2')));
    assert.ok(!JSON.stringify(step).includes(requestUri), 'never the whole request_uri');

    const unstated = buildTimeline(
      ENGLISH,
      { ...trace, authorize: { ...trace.authorize, pushed: { requestUri } } },
      [],
    );
    assert.equal(new Map(unstated[0]?.facts).get('expires_in'), '(not stated by the provider)');
    const plain = buildTimeline(ENGLISH, trace, [])[0];
    assert.equal(plain?.title, 'Authorization request');
    assert.ok(!plain?.facts.some(([name]) => name === 'expires_in'));
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

/**
 * "How this login happened": turns the session's login trace and flow log into
 * a timeline of explained steps, each linked to the spec section behind it.
 * Pure function; values that could be sensitive are shortened or omitted.
 * Every word comes from the `flow` catalogue in the reader's language
 * (`locales/<language>/flow.json`); durations are written with its formatters.
 */
import type { ClientAuthMethod } from '../config/config.js';
import type { Translate } from '../i18n/catalogues.js';
import type { Formatters } from '../i18n/format.js';
import type { FlowEvent } from './flow-log.js';
import type { PushedRequest } from '../oidc/login.js';
import type { LoginTrace } from '../session/session-data.js';
import type { LoginEnding } from '../tokens/login-index.js';

export interface SpecLink {
  readonly label: string;
  readonly href: string;
}

export interface TimelineStep {
  readonly kind: string;
  readonly at: number;
  readonly title: string;
  readonly what: string;
  readonly why: string;
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly specs: readonly SpecLink[];
  readonly tone: 'ok' | 'error' | 'info';
  /** For a run of API calls shown as one step: one row per call. */
  readonly calls?: ReadonlyArray<{
    readonly at: number;
    readonly request: string;
    readonly status: number;
    readonly latencyMs: number;
  }>;
}

/** The reader's language: the translator and the formatters. */
export interface TimelineLanguage {
  readonly t: Translate;
  readonly fmt: Formatters;
}

/** A spec section to link to; its label is the `flow:spec.<key>` message. */
interface SpecRef {
  readonly key: string;
  readonly href: string;
}

const RFC = (n: number, section: string, key: string): SpecRef => ({
  key,
  href: `https://www.rfc-editor.org/rfc/rfc${n}#section-${section}`,
});
const OIDC_CORE = (anchor: string, key: string): SpecRef => ({
  key,
  href: `https://openid.net/specs/openid-connect-core-1_0.html#${anchor}`,
});

const BACKCHANNEL = (anchor: string, key: string): SpecRef => ({
  key,
  href: `https://openid.net/specs/openid-connect-backchannel-1_0.html#${anchor}`,
});

/** The step's spec links with their labels in the reader's language. */
function specLinks(t: Translate, refs: readonly SpecRef[]): SpecLink[] {
  return refs.map((ref) => ({ href: ref.href, label: t(`flow:spec.${ref.key}`) }));
}

/** Shows enough of a random value to recognise it, not enough to use it. */
export function shorten(t: Translate, value: string): string {
  if (value.length <= 12) return value;
  return t('flow:value.shortened', { start: value.slice(0, 6), end: value.slice(-4), length: value.length });
}

const SHORTENED = new Set(['state', 'nonce', 'code_challenge']);

/** The callback checks the flow inspector explains (`flow:checks.*`). */
const CHECKS = new Set(['state', 'iss', 'pkce', 'id_token_signature', 'id_token_claims', 'nonce']);

/** Why a refresh happened (`flow:reasons.*`). */
const REFRESH_REASONS = new Set(['expiring', 'rejected_by_api', 'manual', 'first_use']);

function refreshReason(t: Translate, reason: unknown): string {
  return REFRESH_REASONS.has(String(reason)) ? t(`flow:reasons.${String(reason)}`) : String(reason);
}

/** How a named API's grant named its API to the provider (tokens/refresh-events.ts), as facts. */
function apiGrantFacts(d: Readonly<Record<string, unknown>>): Array<readonly [string, string]> {
  if (typeof d['api'] !== 'string') return [];
  return (['api', 'resource', 'audience', 'scope'] as const)
    .filter((name) => typeof d[name] === 'string')
    .map((name) => [name, String(d[name])] as const);
}

/** The RFC 8707 §2.2 / multi-resource refresh-token links of a named API's grant. */
function apiGrantSpecs(d: Readonly<Record<string, unknown>>): SpecRef[] {
  if (typeof d['api'] !== 'string') return [];
  return [
    RFC(8707, '2.2', 'resource_at_token_endpoint'),
    ...(typeof d['audience'] === 'string'
      ? [
          {
            key: 'auth0_multi_resource',
            href: 'https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token',
          },
        ]
      : []),
  ];
}

/** RFC 9126 §2.2's URN prefix stays readable; the random part is shortened like any other. */
function shortenRequestUri(t: Translate, requestUri: string): string {
  const urn = /^(urn:ietf:params:oauth:request_uri:)(.*)$/.exec(requestUri);
  return urn ? `${urn[1]}${shorten(t, urn[2] as string)}` : shorten(t, requestUri);
}

/** The provider's answer to a pushed request: its one-time reference and how long it lives. */
function pushedFacts({ t, fmt }: TimelineLanguage, pushed: PushedRequest): Array<readonly [string, string]> {
  return [
    ['request_uri', shortenRequestUri(t, pushed.requestUri)],
    [
      'expires_in',
      pushed.expiresIn === undefined
        ? t('flow:value.expires_in_unstated')
        : t('flow:value.expires_in', { duration: fmt.duration(pushed.expiresIn) }),
    ],
  ];
}

export interface TimelineContext {
  /** How the app authenticates at the token endpoint: the method, and its description for people. */
  readonly clientAuthentication?: { readonly method: ClientAuthMethod; readonly description: string };
}

export function buildTimeline(
  { t, fmt }: TimelineLanguage,
  trace: LoginTrace | undefined,
  events: readonly FlowEvent[],
  context: TimelineContext = {},
): TimelineStep[] {
  const steps: TimelineStep[] = [];
  if (trace) {
    const p = trace.authorize.parameters;
    const pushed = trace.authorize.pushed;
    steps.push({
      kind: 'authorize',
      at: trace.authorize.at,
      title: t(pushed ? 'flow:authorize.pushed_title' : 'flow:authorize.title'),
      what: t(pushed ? 'flow:authorize.pushed_what' : 'flow:authorize.what'),
      why: t('flow:authorize.why'),
      facts: [
        ...Object.entries(p).map(([name, value]) => [name, SHORTENED.has(name) ? shorten(t, value) : value] as const),
        ...(pushed ? pushedFacts({ t, fmt }, pushed) : []),
      ],
      specs: specLinks(t, [
        ...(pushed ? [RFC(9126, '2.1', 'pushed_request'), RFC(9126, '2.2', 'pushed_response')] : []),
        RFC(6749, '4.1.1', 'authorization_request'),
        RFC(7636, '4.2', 'pkce_challenge'),
        RFC(9700, '2.1.1', 'pkce_and_state'),
        ...(p.resource ? [RFC(8707, '2', 'resource_indicators')] : []),
        OIDC_CORE('AuthRequest', 'authentication_request'),
      ]),
      tone: 'info',
    });
    steps.push({
      kind: 'callback',
      at: trace.callback.at,
      title: t('flow:callback.title'),
      what: t('flow:callback.what'),
      why: t('flow:callback.why'),
      facts: trace.callback.checks.map(
        (check) => [t('flow:fact.passed'), CHECKS.has(check) ? t(`flow:checks.${check}`) : check] as const,
      ),
      specs: specLinks(t, [
        RFC(6749, '10.12', 'csrf_and_state'),
        RFC(9207, '2.4', 'issuer_identification'),
        OIDC_CORE('IDTokenValidation', 'id_token_validation'),
      ]),
      tone: 'ok',
    });
    steps.push({
      kind: 'token',
      at: trace.token.at,
      title: t('flow:token.title'),
      what: t('flow:token.what'),
      why: t('flow:token.why'),
      facts: [
        ...(context.clientAuthentication
          ? [[t('flow:fact.client_authentication'), context.clientAuthentication.description] as const]
          : []),
        [t('flow:fact.token_type'), trace.token.tokenType === 'dpop' ? 'DPoP' : trace.token.tokenType],
        ...(trace.token.dpopJkt
          ? [[t('flow:fact.sender_constraint'), t('flow:value.dpop_bound', { jkt: trace.token.dpopJkt })] as const]
          : []),
        [t('flow:fact.access_token_lifetime'), fmt.duration(trace.token.lifetimeSeconds)],
        [t('flow:fact.granted_scope'), trace.token.scope || t('flow:value.not_reported')],
        [
          t('flow:fact.refresh_token'),
          trace.token.refreshToken ? t('flow:value.refresh_issued') : t('flow:value.not_issued'),
        ],
        [t('flow:fact.id_token'), trace.token.idToken ? t('flow:value.id_token_verified') : t('flow:value.none')],
      ],
      specs: specLinks(t, [
        RFC(6749, '5.1', 'token_response'),
        ...(context.clientAuthentication?.method === 'private_key_jwt'
          ? [RFC(7523, '2.2', 'jwt_client_authentication')]
          : []),
        {
          key: 'browser_based_apps_bff',
          href: 'https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps#name-backend-for-frontend-bff',
        },
      ]),
      tone: 'ok',
    });
  }
  for (const event of events) steps.push(describeEvent({ t, fmt }, event));
  return groupApiCalls(
    t,
    steps.sort((a, b) => a.at - b.at),
  );
}

/** Consecutive API calls read better as one table than as a card each. */
function groupApiCalls(t: Translate, steps: TimelineStep[]): TimelineStep[] {
  const grouped: TimelineStep[] = [];
  for (const step of steps) {
    const previous = grouped.at(-1);
    if (step.kind !== 'api_call' || !step.calls) {
      grouped.push(step);
    } else if (previous?.kind === 'api_call' && previous.calls) {
      const calls = [...previous.calls, ...step.calls];
      grouped[grouped.length - 1] = {
        ...previous,
        title: t('flow:api_call.group_title', { calls: calls.length }),
        what: t('flow:api_call.group_what'),
        calls,
        tone: calls.every((c) => c.status < 400) ? 'ok' : 'info',
      };
    } else {
      grouped.push(step);
    }
  }
  return grouped;
}

function describeEvent({ t, fmt }: TimelineLanguage, event: FlowEvent): TimelineStep {
  const d = event.data;
  const api = typeof d.api === 'string' ? d.api : undefined;
  switch (event.type) {
    case 'refresh': {
      const reason = refreshReason(t, d.reason);
      return {
        kind: 'refresh',
        at: event.at,
        title: api ? t('flow:refresh.title_api', { api }) : t('flow:refresh.title'),
        what: api ? t('flow:refresh.what_api', { api, reason }) : t('flow:refresh.what', { reason }),
        why: d.rotated ? t('flow:refresh.why_rotated') : t('flow:refresh.why_kept'),
        facts: [
          ...apiGrantFacts(d),
          [t('flow:fact.refresh_token'), d.rotated ? t('flow:value.rotated') : t('flow:value.kept')],
          [t('flow:fact.new_lifetime'), fmt.duration(Number(d.lifetimeSeconds))],
          [t('flow:fact.new_id_token'), d.newIdToken ? t('flow:value.yes') : t('flow:value.no')],
          [t('flow:fact.took'), t('flow:value.milliseconds', { ms: fmt.number(Number(d.latencyMs)) })],
        ],
        specs: specLinks(t, [RFC(6749, '6', 'refreshing'), RFC(9700, '4.14.2', 'rotation'), ...apiGrantSpecs(d)]),
        tone: 'ok',
      };
    }
    case 'refresh_failed':
      return {
        kind: 'refresh_failed',
        at: event.at,
        title: t('flow:refresh_failed.title'),
        what: t('flow:refresh_failed.what', { reason: refreshReason(t, d.reason), error: String(d.error) }),
        why:
          d.error === 'login_required'
            ? t('flow:refresh_failed.why_ended')
            : Number(d.status) === 403
              ? t('flow:refresh_failed.why_refused')
              : t('flow:refresh_failed.why_unreachable'),
        facts: [...apiGrantFacts(d), [t('flow:fact.status'), String(d.status)]],
        specs: specLinks(t, [RFC(6749, '5.2', 'error_response'), ...apiGrantSpecs(d)]),
        tone: 'error',
      };
    case 'api_call': {
      const request = `${String(d.method)} ${api && api !== 'default' ? `${api}: ` : ''}${String(d.path)}`;
      return {
        kind: 'api_call',
        at: event.at,
        title: t('flow:api_call.title', { request }),
        what: t('flow:api_call.what', { status: String(d.status) }),
        why: t('flow:api_call.why'),
        facts: [],
        calls: [{ at: event.at, request, status: Number(d.status), latencyMs: Number(d.latencyMs) }],
        specs: specLinks(t, [RFC(6750, '2.1', 'bearer_header')]),
        tone: Number(d.status) < 400 ? 'ok' : 'error',
      };
    }
    case 'm2m_call':
      return {
        kind: 'm2m_call',
        at: event.at,
        title: t('flow:m2m_call.title'),
        what: t(d.cached ? 'flow:m2m_call.what_cached' : 'flow:m2m_call.what_fresh', { status: String(d.status) }),
        why: t('flow:m2m_call.why'),
        facts: Object.entries(d).map(([k, v]) => [k, String(v)] as const),
        specs: specLinks(t, [RFC(6749, '4.4', 'client_credentials')]),
        tone: 'info',
      };
    default:
      return {
        kind: event.type,
        at: event.at,
        title: event.type,
        what: '',
        why: '',
        facts: [],
        specs: [],
        tone: 'info',
      };
  }
}

/**
 * The last step of a login ended from elsewhere: by the provider's logout
 * token (who sent it, which claims named this login, what was revoked), or by
 * the user from another device. Shown on the "you were signed out" page.
 */
export function describeEnding(t: Translate, ending: LoginEnding): TimelineStep {
  const revoked: readonly [string, string] = [
    t('flow:fact.refresh_token'),
    ending.refreshTokenRevoked ? t('flow:value.revoked') : t('flow:value.not_revoked'),
  ];
  const deleted: readonly [string, string] = [t('flow:fact.tokens'), t('flow:value.deleted_on_server')];
  if (ending.by === 'user') {
    const from = ending.from || t('pages:profile.unknown_browser');
    return {
      kind: 'ended_by_user',
      at: ending.at,
      title: t('flow:ended_by_user.title'),
      what: t('flow:ended_by_user.what', { from }),
      why: t('flow:ended_by_user.why'),
      facts: [[t('flow:fact.ended_from'), from], deleted, revoked],
      specs: specLinks(t, [RFC(7009, '2', 'revocation')]),
      tone: 'info',
    };
  }
  return {
    kind: 'backchannel_logout',
    at: ending.at,
    title: t('flow:backchannel_logout.title'),
    what: t('flow:backchannel_logout.what'),
    why: t('flow:backchannel_logout.why'),
    facts: [
      [t('flow:fact.sent_by'), ending.issuer],
      ...ending.matched.map((claim) => [t('flow:fact.matched'), t(`flow:matched.${claim}`)] as const),
      deleted,
      revoked,
    ],
    specs: specLinks(t, [
      BACKCHANNEL('LogoutToken', 'logout_token'),
      BACKCHANNEL('BCRequest', 'backchannel_request'),
      BACKCHANNEL('Validation', 'logout_token_validation'),
      BACKCHANNEL('BCActions', 'logout_actions'),
      RFC(7009, '2', 'revocation'),
    ]),
    tone: 'info',
  };
}

/**
 * "How this login happened": turns the session's login trace and flow log into
 * a timeline of explained steps, each linked to the spec section behind it.
 * Pure function; values that could be sensitive are shortened or omitted.
 */
import type { ClientAuthMethod } from '../config/config.js';
import type { FlowEvent } from './flow-log.js';
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

const RFC = (n: number, section: string, label: string): SpecLink => ({
  label,
  href: `https://www.rfc-editor.org/rfc/rfc${n}#section-${section}`,
});
const OIDC_CORE = (anchor: string, label: string): SpecLink => ({
  label,
  href: `https://openid.net/specs/openid-connect-core-1_0.html#${anchor}`,
});

const BACKCHANNEL = (section: string, anchor: string, label: string): SpecLink => ({
  label: `OpenID Connect Back-Channel Logout 1.0 §${section} ${label}`,
  href: `https://openid.net/specs/openid-connect-backchannel-1_0.html#${anchor}`,
});

/** Shows enough of a random value to recognise it, not enough to use it. */
export function shorten(value: string): string {
  return value.length <= 12 ? value : `${value.slice(0, 6)}…${value.slice(-4)} (${value.length} chars)`;
}

const SHORTENED = new Set(['state', 'nonce', 'code_challenge']);

const CHECK_LABELS: Record<string, string> = {
  state: 'state matched the one this browser was given (CSRF defence)',
  iss: 'iss in the response named our provider (mix-up defence, RFC 9207)',
  pkce: 'the code_verifier matched the S256 challenge (PKCE, checked by the provider)',
  id_token_signature: "the ID token's signature verified with the provider's published keys",
  id_token_claims: 'the ID token was issued by our provider, for this client, and is not expired',
  nonce: 'the nonce in the ID token matched the one sent in the request (replay defence)',
};

const REFRESH_REASONS: Record<string, string> = {
  expiring: 'the access token was about to expire',
  rejected_by_api: 'the API rejected a token we believed valid (one forced refresh, one retry)',
  manual: 'a developer pressed “Refresh now”',
  first_use: 'this API was called for the first time since the login',
};

/** How a named API's grant named its API to the provider (tokens/refresh-events.ts), as facts. */
function apiGrantFacts(d: Readonly<Record<string, unknown>>): Array<readonly [string, string]> {
  if (typeof d['api'] !== 'string') return [];
  return (['api', 'resource', 'audience', 'scope'] as const)
    .filter((name) => typeof d[name] === 'string')
    .map((name) => [name, String(d[name])] as const);
}

/** The RFC 8707 §2.2 / multi-resource refresh-token links of a named API's grant. */
function apiGrantSpecs(d: Readonly<Record<string, unknown>>): SpecLink[] {
  if (typeof d['api'] !== 'string') return [];
  return [
    RFC(8707, '2.2', 'RFC 8707 §2.2 Resource at the token endpoint'),
    ...(typeof d['audience'] === 'string'
      ? [
          {
            label: 'Auth0 multi-resource refresh token',
            href: 'https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token',
          },
        ]
      : []),
  ];
}

export interface TimelineContext {
  /** How the app authenticates at the token endpoint: the method, and its description for people. */
  readonly clientAuthentication?: { readonly method: ClientAuthMethod; readonly description: string };
}

export function buildTimeline(
  trace: LoginTrace | undefined,
  events: readonly FlowEvent[],
  context: TimelineContext = {},
): TimelineStep[] {
  const steps: TimelineStep[] = [];
  if (trace) {
    const p = trace.authorize.parameters;
    steps.push({
      kind: 'authorize',
      at: trace.authorize.at,
      title: 'Authorization request',
      what: 'The app redirected your browser to the identity provider with these parameters.',
      why: 'response_type=code asks for a one-time code instead of tokens in the URL. state ties the answer to this browser, nonce ties the ID token to this request, and the PKCE challenge proves the code is redeemed by the app that asked for it.',
      facts: Object.entries(p).map(([name, value]) => [name, SHORTENED.has(name) ? shorten(value) : value] as const),
      specs: [
        RFC(6749, '4.1.1', 'RFC 6749 §4.1.1 Authorization request'),
        RFC(7636, '4.2', 'RFC 7636 §4.2 PKCE code challenge'),
        RFC(9700, '2.1.1', 'RFC 9700 §2.1.1 PKCE and state'),
        ...(p.resource ? [RFC(8707, '2', 'RFC 8707 §2 Resource indicators')] : []),
        OIDC_CORE('AuthRequest', 'OIDC Core §3.1.2.1 Authentication request'),
      ],
      tone: 'info',
    });
    steps.push({
      kind: 'callback',
      at: trace.callback.at,
      title: 'Callback checked',
      what: 'The provider sent your browser back with a code. Before using it, the app checked:',
      why: 'A callback can be forged or replayed; each check closes one attack. The code was then exchanged once, directly between the app and the provider, and this browser was sent on to a clean URL.',
      facts: trace.callback.checks.map((check) => ['passed', CHECK_LABELS[check] ?? check] as const),
      specs: [
        RFC(6749, '10.12', 'RFC 6749 §10.12 CSRF and state'),
        RFC(9207, '2.4', 'RFC 9207 §2.4 Issuer identification'),
        OIDC_CORE('IDTokenValidation', 'OIDC Core §3.1.3.7 ID token validation'),
      ],
      tone: 'ok',
    });
    steps.push({
      kind: 'token',
      at: trace.token.at,
      title: 'Tokens received and kept on the server',
      what: 'The token endpoint answered with the tokens below. They are stored server-side; your browser only holds a session cookie.',
      why: 'Keeping tokens out of the browser means script injection cannot steal them (the Backend-for-Frontend pattern). The session id was regenerated at this moment to prevent session fixation.',
      facts: [
        ...(context.clientAuthentication
          ? [['client authentication', context.clientAuthentication.description] as const]
          : []),
        ['token type', trace.token.tokenType === 'dpop' ? 'DPoP' : trace.token.tokenType],
        ...(trace.token.dpopJkt
          ? [['sender constraint', `DPoP: bound to this login's key, cnf.jkt ${trace.token.dpopJkt}`] as const]
          : []),
        ['access token lifetime', `${trace.token.lifetimeSeconds} s`],
        ['granted scope', trace.token.scope || '(not reported)'],
        ['refresh token', trace.token.refreshToken ? 'issued (offline_access)' : 'not issued'],
        ['ID token', trace.token.idToken ? 'issued and verified' : 'none'],
      ],
      specs: [
        RFC(6749, '5.1', 'RFC 6749 §5.1 Token response'),
        ...(context.clientAuthentication?.method === 'private_key_jwt'
          ? [RFC(7523, '2.2', 'RFC 7523 §2.2 JWT client authentication')]
          : []),
        {
          label: 'OAuth 2.0 for Browser-Based Apps: BFF',
          href: 'https://datatracker.ietf.org/doc/html/draft-ietf-oauth-browser-based-apps#name-backend-for-frontend-bff',
        },
      ],
      tone: 'ok',
    });
  }
  for (const event of events) steps.push(describeEvent(event));
  return groupApiCalls(steps.sort((a, b) => a.at - b.at));
}

/** Consecutive API calls read better as one table than as a card each. */
function groupApiCalls(steps: TimelineStep[]): TimelineStep[] {
  const grouped: TimelineStep[] = [];
  for (const step of steps) {
    const previous = grouped.at(-1);
    if (step.kind !== 'api_call' || !step.calls) {
      grouped.push(step);
    } else if (previous?.kind === 'api_call' && previous.calls) {
      const calls = [...previous.calls, ...step.calls];
      grouped[grouped.length - 1] = {
        ...previous,
        title: `${calls.length} API calls`,
        what: 'Proxied through /api with the access token in the Authorization header.',
        calls,
        tone: calls.every((c) => c.status < 400) ? 'ok' : 'info',
      };
    } else {
      grouped.push(step);
    }
  }
  return grouped;
}

function describeEvent(event: FlowEvent): TimelineStep {
  const d = event.data;
  switch (event.type) {
    case 'refresh':
      return {
        kind: 'refresh',
        at: event.at,
        title: typeof d.api === 'string' ? `Access token for the ${d.api} API` : 'Access token refreshed',
        what:
          typeof d.api === 'string'
            ? `The app used the login's refresh token to get a token for the ${d.api} API only, because ${REFRESH_REASONS[String(d.reason)] ?? String(d.reason)}.`
            : `The app used the refresh token because ${REFRESH_REASONS[String(d.reason)] ?? String(d.reason)}.`,
        why: d.rotated
          ? 'The provider rotated the refresh token: the old one is now invalid, and the new one was saved before any request used the new access token, so a late request can never bring the old one back.'
          : 'The provider kept the same refresh token; the new access token replaced the old one.',
        facts: [
          ...apiGrantFacts(d),
          ['refresh token', d.rotated ? 'rotated' : 'kept'],
          ['new lifetime', `${String(d.lifetimeSeconds)} s`],
          ['new ID token', d.newIdToken ? 'yes' : 'no'],
          ['took', `${String(d.latencyMs)} ms`],
        ],
        specs: [
          RFC(6749, '6', 'RFC 6749 §6 Refreshing an access token'),
          RFC(9700, '4.14.2', 'RFC 9700 §4.14.2 Refresh token rotation'),
          ...apiGrantSpecs(d),
        ],
        tone: 'ok',
      };
    case 'refresh_failed':
      return {
        kind: 'refresh_failed',
        at: event.at,
        title: 'Refresh failed',
        what: `The refresh (${REFRESH_REASONS[String(d.reason)] ?? String(d.reason)}) failed with ${String(d.error)}.`,
        why:
          d.error === 'login_required'
            ? 'The provider no longer accepts the refresh token (revoked or expired), so the login ended and the tokens were deleted.'
            : Number(d.status) === 403
              ? 'The provider will not issue a token for this API to this login: its calls get 403 api_not_authorized until the next login, and the other APIs keep working.'
              : 'The provider could not be reached; the tokens were kept so the next attempt can succeed.',
        facts: [...apiGrantFacts(d), ['status', String(d.status)]],
        specs: [RFC(6749, '5.2', 'RFC 6749 §5.2 Error response'), ...apiGrantSpecs(d)],
        tone: 'error',
      };
    case 'api_call':
      return {
        kind: 'api_call',
        at: event.at,
        title: `API call: ${String(d.method)} ${typeof d.api === 'string' && d.api !== 'default' ? `${d.api}: ` : ''}${String(d.path)}`,
        what: `Proxied through /api with the access token in the Authorization header; the API answered ${String(d.status)}.`,
        why: 'The browser never sees the token: the app attaches it, and only after checking the X-CSRF header.',
        facts: [],
        calls: [
          {
            at: event.at,
            request: `${String(d.method)} ${typeof d.api === 'string' && d.api !== 'default' ? `${d.api}: ` : ''}${String(d.path)}`,
            status: Number(d.status),
            latencyMs: Number(d.latencyMs),
          },
        ],
        specs: [RFC(6750, '2.1', 'RFC 6750 §2.1 Bearer token in the Authorization header')],
        tone: Number(d.status) < 400 ? 'ok' : 'error',
      };
    case 'm2m_call':
      return {
        kind: 'm2m_call',
        at: event.at,
        title: 'Machine-to-machine call',
        what: `The server called the API with its own client-credentials token (${d.cached ? 'from the cache' : 'freshly requested'}); the API answered ${String(d.status)}.`,
        why: 'No user is involved: the app authenticates as itself. The token is cached until shortly before it expires, so the provider is not asked on every call.',
        facts: Object.entries(d).map(([k, v]) => [k, String(v)] as const),
        specs: [RFC(6749, '4.4', 'RFC 6749 §4.4 Client credentials grant')],
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

const MATCHED = {
  sid: 'sid: the provider session this login was made in',
  sub: 'sub: this user (every login of theirs, or narrowing a sid)',
} as const;

/**
 * The last step of a login ended from elsewhere: by the provider's logout
 * token (who sent it, which claims named this login, what was revoked), or by
 * the user from another device. Shown on the "you were signed out" page.
 */
export function describeEnding(ending: LoginEnding): TimelineStep {
  const revoked: readonly [string, string] = [
    'refresh token',
    ending.refreshTokenRevoked
      ? 'revoked at the provider (RFC 7009)'
      : 'none held, or the provider offers no revocation endpoint',
  ];
  if (ending.by === 'user') {
    return {
      kind: 'ended_by_user',
      at: ending.at,
      title: 'Signed out from another device',
      what: `You signed this session out from the Sessions list of your profile, in ${ending.from}.`,
      why: 'Ending a session must work from anywhere: the tokens were deleted on the server and the refresh token revoked, so this browser holds nothing that still works.',
      facts: [['ended from', ending.from], ['tokens', 'deleted on the server'], revoked],
      specs: [RFC(7009, '2', 'RFC 7009 §2 Token revocation')],
      tone: 'info',
    };
  }
  return {
    kind: 'backchannel_logout',
    at: ending.at,
    title: 'Logout token received from your identity provider',
    what: 'Your session at the identity provider ended (you signed out there, another app signed you out, or an administrator ended it). The provider then called this app directly, server to server, with a signed logout token.',
    why: 'Without it this app would keep you signed in, and keep refreshing your tokens, after you signed out at the provider. The token was checked before anything ended: its signature against the provider’s keys, issuer, audience, age, the logout event, no nonce, and a jti never seen before.',
    facts: [
      ['sent by', ending.issuer],
      ...ending.matched.map((claim) => ['matched', MATCHED[claim]] as const),
      ['tokens', 'deleted on the server'],
      revoked,
    ],
    specs: [
      BACKCHANNEL('2.4', 'LogoutToken', 'Logout token'),
      BACKCHANNEL('2.5', 'BCRequest', 'Back-channel logout request'),
      BACKCHANNEL('2.6', 'Validation', 'Logout token validation'),
      BACKCHANNEL('2.7', 'BCActions', 'Actions on a valid logout request'),
      RFC(7009, '2', 'RFC 7009 §2 Token revocation'),
    ],
    tone: 'info',
  };
}

/**
 * The token set we keep server-side.
 *
 * - Expiry comes from `expires_in` (RFC 6749 §5.1) measured on *our* clock when
 *   the response arrived, so a provider whose clock is off does not matter.
 * - When it needs a refresh is src/tokens/refresh-margin.ts's `needsRefresh`.
 */
import type { TokenEndpointResponse } from 'openid-client';
import type { DPoPKeyRecord } from '../dpop/dpop-key.js';

export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch ms after which the access token must not be used. */
  readonly expiresAt: number;
  /** Lifetime in seconds as granted (`expires_in`). */
  readonly lifetimeSeconds: number;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  readonly scope: string | undefined;
  /** Epoch ms when this set was received. */
  readonly receivedAt: number;
  /** Increases by one with every refresh: the newest set always wins (see token-store.ts). */
  readonly version: number;
  /** Why this set was fetched; absent for sets stored before the field existed. */
  readonly source?: TokenSource;
  /**
   * The named APIs' access tokens, by API name, each from a refresh-token grant that named its API
   * (src/tokens/api-tokens.ts). The access token above is the default API's; the refresh token is one.
   */
  readonly apiTokens?: Readonly<Record<string, ApiAccessToken>>;
  /** Named APIs the provider would not issue a token for this login, with its OAuth error code. */
  readonly apiRefusals?: Readonly<Record<string, string>>;
  /** The login's DPoP key (RFC 9449), when its tokens are sender-constrained: kept for the whole login. */
  readonly dpopKey?: DPoPKeyRecord;
}

/** One named API's access token: the access-token half of a {@link TokenSet}. */
export type ApiAccessToken = Pick<
  TokenSet,
  'accessToken' | 'tokenType' | 'expiresAt' | 'lifetimeSeconds' | 'scope' | 'receivedAt' | 'source'
>;

/** `login`: the code exchange; `first_use`: a named API's first token; otherwise why the refresh ran (token-service.ts). */
export type TokenSource = 'login' | 'first_use' | 'expiring' | 'rejected_by_api' | 'manual';

const DEFAULT_LIFETIME_SECONDS = 300;

/**
 * The token type and scope of every login are almost always the same few values, but each token
 * response brings its own copy of them: the first copy seen is kept and reused, so a stored
 * record points at one shared string instead of holding its own. Bounded, so values that do
 * vary cannot grow it.
 */
const sharedValues = new Map<string, string>();
const MAX_SHARED_VALUES = 64;

function shared(value: string): string;
function shared(value: string | undefined): string | undefined;
function shared(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const known = sharedValues.get(value);
  if (known !== undefined) return known;
  if (sharedValues.size < MAX_SHARED_VALUES) sharedValues.set(value, value);
  return value;
}

/**
 * A frozen copy of `tokens`, for a store to keep: no caller can change what the next reader gets.
 *
 * Copied with `Object.assign` onto a fresh object, not with a spread: once V8 has optimised the
 * code, freezing a spread's copy gives every record a hidden class of its own (a map and a
 * descriptor array, about 0.3 KB per stored record, found by comparing heap snapshots), while
 * this copy's frozen shape is shared by every record with the same fields.
 */
export function frozenTokenSet(tokens: TokenSet): TokenSet {
  return Object.freeze(Object.assign({}, tokens));
}

export function tokenSetFromResponse(
  response: TokenEndpointResponse,
  now: number,
  previous?: TokenSet,
  source: TokenSource = previous ? 'expiring' : 'login',
): TokenSet {
  const lifetime =
    typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : DEFAULT_LIFETIME_SECONDS;
  return {
    accessToken: response.access_token,
    tokenType: shared(response.token_type ?? 'bearer'),
    expiresAt: now + lifetime * 1000,
    lifetimeSeconds: lifetime,
    // RFC 6749 §6: without a new refresh token the old one stays valid.
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    // OIDC Core §12.2: a refresh may or may not return a new ID token.
    idToken: response.id_token ?? previous?.idToken,
    scope: shared(response.scope ?? previous?.scope),
    receivedAt: now,
    version: (previous?.version ?? 0) + 1,
    source,
    // A refresh of the default API's token leaves the named APIs' tokens as they are.
    ...(previous?.apiTokens && { apiTokens: previous.apiTokens }),
    ...(previous?.apiRefusals && { apiRefusals: previous.apiRefusals }),
    // RFC 9449 §5: a refresh is proved with the login's key, and its tokens are bound to it too.
    ...(previous?.dpopKey && { dpopKey: previous.dpopKey }),
  };
}

/**
 * Verifying a logout token (OpenID Connect Back-Channel Logout 1.0 §2.6).
 *
 * The provider POSTs a signed JWT to our `backchannel_logout_uri` when a user's
 * session ends there. Every rule of §2.6 is checked here, in order:
 * - signature against the provider's JWKS (the same key set as ID tokens), with
 *   only the asymmetric algorithms the provider announces for ID tokens;
 * - `iss` equals the discovered issuer, `aud` contains our client id, `iat`
 *   not in the future and not older than the allowed age, `exp` if present
 *   (jose checks both with the same clock tolerance as ID tokens);
 * - `events` holds the member `http://schemas.openid.net/event/backchannel-logout`
 *   whose value is a JSON object (§2.4);
 * - a `sid`, a `sub`, or both (§2.4);
 * - no `nonce` (§2.4: it is forbidden, so an ID token can never pass as a logout token);
 * - a `jti` never seen before (§2.6 step 7), remembered for as long as a
 *   token with that `iat` could still be accepted.
 * Any failure is a 400 with `error: invalid_request` (§2.8), and nothing is ended.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type * as client from 'openid-client';
import { AppError } from '../errors.js';
import type { MessageValues } from '../i18n/catalogues.js';
// The same skew allowance as ID tokens.
import { CLOCK_TOLERANCE_SECONDS } from './client.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How old (by `iat`) a logout token may be; also how long its `jti` is remembered. */
const LOGOUT_TOKEN_MAX_AGE_SECONDS = 120;

/** Only asymmetric signatures: a shared-secret (HS*) logout token could be minted by any client of the provider. */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

/** The request is refused; §2.8 asks for 400 and lets the body carry an OAuth-style `error`. */
export class LogoutTokenError extends AppError {
  constructor(problem: string, values: MessageValues = {}, cause?: unknown) {
    super(400, 'invalid_request', `errors:logout_token.${problem}`, { cause, values });
    this.name = 'LogoutTokenError';
  }
}

/** Remembers logout token ids; shared through Redis when there are several instances. */
export interface ReplayCache {
  /** Records `jti`; false when it was already recorded and has not expired. */
  firstUse(jti: string, ttlSeconds: number): Promise<boolean>;
}

/** What a valid logout token asks us to end: one login (`sid`) or all of a user's (`sub` alone). */
export interface LogoutRequest {
  readonly issuer: string;
  readonly sub: string | undefined;
  readonly sid: string | undefined;
  readonly jti: string;
  readonly iat: number;
}

export interface LogoutTokenCheck {
  readonly issuer: string;
  readonly clientId: string;
  readonly keys: JWTVerifyGetKey;
  readonly algorithms: readonly string[];
  readonly replay: ReplayCache;
  /** Current time in milliseconds (tests move it). */
  readonly now?: () => number;
}

/** The checks' inputs from the discovered provider metadata (OIDC Discovery 1.0 §3). */
export function logoutTokenCheckFor(
  configuration: client.Configuration,
  clientId: string,
  replay: ReplayCache,
  keys: JWTVerifyGetKey,
): LogoutTokenCheck {
  const metadata = configuration.serverMetadata();
  const announced = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
  return { issuer: metadata.issuer, clientId, keys, algorithms: announced.filter((a) => ASYMMETRIC.test(a)), replay };
}

/** One remote key set per jwks_uri (jose caches keys and re-fetches on an unknown `kid`). */
const keySets = new Map<string, JWTVerifyGetKey>();
export function providerKeys(configuration: client.Configuration): JWTVerifyGetKey {
  const uri = configuration.serverMetadata().jwks_uri;
  if (!uri) throw new LogoutTokenError('no_signing_keys');
  let keys = keySets.get(uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(uri));
    keySets.set(uri, keys);
  }
  return keys;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function verifyLogoutToken(token: unknown, check: LogoutTokenCheck): Promise<LogoutRequest> {
  if (typeof token !== 'string' || token.length === 0) throw new LogoutTokenError('missing');
  const now = check.now ?? Date.now;
  let payload;
  try {
    ({ payload } = await jwtVerify(token, check.keys, {
      issuer: check.issuer,
      audience: check.clientId,
      algorithms: [...check.algorithms],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ['iat', 'jti'],
      currentDate: new Date(now()),
    }));
  } catch (err) {
    const { problem, values } = describeJoseFailure(err);
    throw new LogoutTokenError(problem, values, err);
  }
  const events = payload.events;
  if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw new LogoutTokenError('no_event');
  }
  const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
  const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined;
  if (!sub && !sid) throw new LogoutTokenError('no_sub_or_sid');
  if ('nonce' in payload) throw new LogoutTokenError('nonce_present');
  const jti = String(payload.jti);
  const iat = Number(payload.iat);
  // Remembered for as long as jose would still accept this `iat`.
  const ttl = Math.max(1, iat + LOGOUT_TOKEN_MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS - now() / 1000);
  if (!(await check.replay.firstUse(`${check.issuer} ${jti}`, Math.ceil(ttl)))) {
    throw new LogoutTokenError('replayed');
  }
  return { issuer: check.issuer, sub, sid, jti, iat };
}

/** What went wrong (errors:logout_token.*), safe to send back: never the token or its claims' values. */
function describeJoseFailure(err: unknown): { problem: string; values?: MessageValues } {
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return { problem: 'claim_not_acceptable', values: { claim: err.claim } };
  }
  if (err instanceof joseErrors.JWTExpired) return { problem: 'expired' };
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { problem: 'bad_signature' };
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return { problem: 'algorithm_not_accepted' };
  if (err instanceof joseErrors.JWKSNoMatchingKey) return { problem: 'unknown_key' };
  return { problem: 'not_a_jwt' };
}

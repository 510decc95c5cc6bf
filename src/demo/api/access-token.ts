/**
 * Checking an access token, in this order, before anything else is done with
 * the request (the body is not even read):
 *
 * 1. The token arrives in the `Authorization` header only, as `Bearer` (RFC 6750
 *    §2.1) or `DPoP` (RFC 9449 §7.1). `access_token` in the query (§2.3) is refused with 400
 *    `invalid_request`: it would land in logs and `Referer` headers (§5.3).
 *    Form bodies (§2.2) are never parsed for a token, so such a request simply
 *    has no credentials (401 without an error code, §3.1).
 * 2. The JWT signature, against the provider's JWKS (jose `createRemoteJWKSet`:
 *    cached, re-fetched when an unknown `kid` shows up after key rotation,
 *    with a timeout). Only asymmetric algorithms are accepted (RFC 9068 §4:
 *    the resource server MUST reject `none`; HS256 would let anyone holding a
 *    client secret, or the public key, forge tokens).
 * 3. `typ` is `at+jwt` (RFC 9068 §2.1, §4) or plain `JWT` (Auth0's default
 *    profile). Accepting `JWT` cannot let an ID token through: its `aud` is the
 *    client id, never this API's identifier (checked next).
 * 4. `iss` equals the configured issuer exactly, `aud` contains this API's
 *    identifier, `exp` is present and not past, `nbf` not in the future
 *    (RFC 9068 §4), with a small clock tolerance. `sub` is required
 *    (RFC 9068 §2.2) because all data is keyed by it.
 * 5. Sender constraint (RFC 9449): a token with `cnf.jkt` is DPoP-bound. It is
 *    accepted only with the DPoP scheme and a proof of its key for this very
 *    request (dpop.ts); presented as `Bearer` it is refused (§7.2), as is a
 *    token without `cnf.jkt` presented as `DPoP`.
 * If the JWKS cannot be fetched (provider down, timeout), the answer is 503
 * `temporarily_unavailable`, not 401: the token may be perfectly good, and a
 * 401 would push the BFF to throw away a valid session.
 */
import type { Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import {
  headerSafe,
  sendChallenge,
  sendDPoPProofError,
  sendJson,
  sendMissingToken,
  type Scheme,
} from './challenges.js';
import { boundKeyThumbprint, DPoPProofRejected, type DPoPProofChecker } from './dpop.js';

/** Signature algorithms accepted: asymmetric only (RFC 9068 §4; RFC 8725 §3.1-3.2). */
const ACCEPTED_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

export interface AccessTokenInfo {
  readonly sub: string;
  /** `client_id` (RFC 9068 §2.2), or `azp` where a provider (Auth0) only sends that. */
  readonly clientId: string | null;
  readonly scopes: ReadonlySet<string>;
  readonly kind: 'user' | 'machine';
  readonly claims: JWTPayload;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Generous for a JWT (a few hundred bytes to a few kB); stops absurd inputs early. */
const MAX_TOKEN_LENGTH = 8192;
/**
 * RFC 6750 §2.1: `Bearer 1*SP b64token`, and the same for `DPoP` (RFC 9449 §7.1); the scheme is
 * case-insensitive (RFC 9110 §11.1).
 */
const CREDENTIALS = /^(?:Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Token-related jose errors: these mean "this token is not acceptable" (401). */
const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set([
  joseErrors.JWTExpired.code,
  joseErrors.JWTClaimValidationFailed.code,
  joseErrors.JWTInvalid.code,
  joseErrors.JWSInvalid.code,
  joseErrors.JWSSignatureVerificationFailed.code,
  joseErrors.JOSEAlgNotAllowed.code,
  joseErrors.JOSENotSupported.code,
  joseErrors.JWKSNoMatchingKey.code,
  joseErrors.JWKSMultipleMatchingKeys.code,
  joseErrors.JWKInvalid.code,
  joseErrors.JWEInvalid.code,
]);

/** Our own `invalid_token` reasons, found after jose has verified the token. */
class TokenRejected extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'TokenRejected';
  }
}

/**
 * A fixed, human description of why a token was refused. Never jose's message:
 * it may quote claim values and contains `"` characters that are not allowed
 * in a challenge attribute (RFC 6750 §3).
 */
function describeTokenError(error: unknown): string | undefined {
  if (error instanceof TokenRejected) return error.description;
  if (!(error instanceof joseErrors.JOSEError) || !TOKEN_ERROR_CODES.has(error.code)) return undefined;
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = headerSafe(error.claim).slice(0, 20);
    if (error.reason === 'missing') return `The access token has no ${claim} claim.`;
    switch (error.claim) {
      case 'aud':
        return 'The access token is not meant for this API (aud).';
      case 'iss':
        return 'The access token comes from an issuer this API does not trust (iss).';
      case 'nbf':
        return 'The access token is not valid yet (nbf).';
      default:
        return `The access token has an invalid ${claim} claim.`;
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return 'The access token is signed with an algorithm this API does not accept.';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return 'The access token is signed with a key this API does not know.';
  }
  return 'The access token is malformed.';
}

/** RFC 9068 §4: `typ` must be `at+jwt` / `application/at+jwt`; `JWT` is also accepted (see the file comment). */
function acceptableTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  // RFC 7515 §4.1.9: compared case-insensitively, `application/` may be omitted.
  const normalized = typ.toLowerCase().replace(/^application\//, '');
  return normalized === 'at+jwt' || normalized === 'jwt';
}

/** The `access_token` query parameter, if any (RFC 6750 §2.3). Read from the raw URL, whatever the query parser. */
function hasQueryToken(req: Request): boolean {
  const queryStart = req.originalUrl.indexOf('?');
  if (queryStart === -1) return false;
  return new URLSearchParams(req.originalUrl.slice(queryStart + 1)).has('access_token');
}

/**
 * Machine (client-credentials) tokens: `sub` equals `client_id` (oidc-provider,
 * Logto; RFC 9068 §2.2 says `sub` SHOULD identify the client when no resource
 * owner is involved) or `gty` is `client-credentials` (Auth0, whose `sub` is
 * `<client_id>@clients`).
 */
function kindOf(claims: JWTPayload, clientId: string | null): 'user' | 'machine' {
  if (claims['gty'] === 'client-credentials') return 'machine';
  if (clientId !== null && claims.sub === clientId) return 'machine';
  return 'user';
}

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: URL;
  readonly jwksTimeoutMs?: number;
  readonly jwksCooldownMs?: number;
  readonly clockToleranceSeconds?: number;
}

/** Verifies a JWT access token and reads what the routes need from it. */
export function createTokenVerifier(options: TokenVerifierOptions): (token: string) => Promise<AccessTokenInfo> {
  const jwks = createRemoteJWKSet(options.jwksUri, {
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    ...(options.jwksCooldownMs !== undefined ? { cooldownDuration: options.jwksCooldownMs } : {}),
  });
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  return async function verify(token: string): Promise<AccessTokenInfo> {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...ACCEPTED_ALGORITHMS],
      clockTolerance,
      // RFC 9068 §2.2: exp and sub are REQUIRED (iss and aud are required by the options above).
      requiredClaims: ['exp', 'sub'],
    });
    // jose's `typ` option takes a single value; two are accepted here, so it is checked by hand.
    if (!acceptableTyp(protectedHeader.typ)) {
      throw new TokenRejected('The access token type (typ) must be at+jwt or JWT.');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new TokenRejected('The access token has an invalid sub claim.');
    }
    const clientIdClaim = typeof payload['client_id'] === 'string' ? payload['client_id'] : payload['azp'];
    const clientId = typeof clientIdClaim === 'string' ? clientIdClaim : null;
    const scope = typeof payload['scope'] === 'string' ? payload['scope'] : '';
    return {
      sub: payload.sub,
      clientId,
      scopes: new Set(scope.split(' ').filter((s) => s.length > 0)),
      kind: kindOf(payload, clientId),
      claims: payload,
    };
  };
}

/**
 * Middleware: a request with a valid token goes on with its facts in `verified`;
 * anything else is answered here (see the file comment).
 */
export function bearerAuthentication(
  verify: (token: string) => Promise<AccessTokenInfo>,
  verified: WeakMap<Request, AccessTokenInfo>,
  dpop: DPoPProofChecker,
  onError?: (error: unknown) => void,
): RequestHandler {
  const authenticate: RequestHandler = async (req, res, next) => {
    if (hasQueryToken(req)) {
      sendChallenge(
        res,
        400,
        'invalid_request',
        'Send the access token in the Authorization header (RFC 6750 section 2.1), never in the URL.',
      );
      return;
    }
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      sendMissingToken(res);
      return;
    }
    const schemeName = (header.trimStart().split(' ', 1)[0] ?? '').toLowerCase();
    if (schemeName !== 'bearer' && schemeName !== 'dpop') {
      // Another scheme (Basic...) is "an unsupported authentication method": no error code (§3.1).
      sendMissingToken(res);
      return;
    }
    const scheme: Scheme = schemeName === 'dpop' ? 'DPoP' : 'Bearer';
    const match = CREDENTIALS.exec(header.trim());
    const token = match?.[1];
    if (token === undefined) {
      sendChallenge(
        res,
        400,
        'invalid_request',
        `The Authorization header is not of the form: ${scheme} <token>.`,
        scheme,
      );
      return;
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      sendChallenge(res, 401, 'invalid_token', 'The access token is too long.', scheme);
      return;
    }
    let info: AccessTokenInfo;
    try {
      info = await verify(token);
    } catch (error) {
      const description = describeTokenError(error);
      if (description !== undefined) {
        sendChallenge(res, 401, 'invalid_token', description, scheme);
        return;
      }
      // JWKS unreachable, timed out, or not valid JSON: the token was not judged at all.
      onError?.(error);
      res.set('Retry-After', '5');
      sendJson(res, 503, {
        error: 'temporarily_unavailable',
        error_description: 'The API cannot check access tokens right now. Please try again shortly.',
      });
      return;
    }
    if (!(await senderConstraintHolds(req, res, scheme, token, info, dpop))) return;
    verified.set(req, info);
    next();
  };
  return authenticate;
}

/**
 * RFC 9449 §7: a DPoP-bound token (`cnf.jkt`) needs the DPoP scheme and a proof of its key for
 * this request; an unbound token is a bearer token. Answers the request and returns false when
 * the presentation does not fit the token.
 */
async function senderConstraintHolds(
  req: Request,
  res: Response,
  scheme: Scheme,
  token: string,
  info: AccessTokenInfo,
  dpop: DPoPProofChecker,
): Promise<boolean> {
  const jkt = boundKeyThumbprint(info.claims);
  if (scheme === 'Bearer') {
    if (jkt === undefined) return true;
    // §7.2: a stolen DPoP-bound token must not work as a bearer token.
    sendChallenge(
      res,
      401,
      'invalid_token',
      'This access token is DPoP-bound: present it with the DPoP scheme and a proof.',
    );
    return false;
  }
  if (jkt === undefined) {
    sendChallenge(
      res,
      401,
      'invalid_token',
      'This access token is not DPoP-bound: present it as a Bearer token.',
      'DPoP',
    );
    return false;
  }
  try {
    await dpop.check(req.headers.dpop, { method: req.method, url: requestUrl(req) }, token, jkt);
    return true;
  } catch (error) {
    if (!(error instanceof DPoPProofRejected)) throw error;
    sendDPoPProofError(res, error.error, error.description, dpop.nonce());
    return false;
  }
}

/**
 * The URL the client called, as a proof's `htu` names it. Only the BFF calls this API, directly,
 * so its `Host` header is the origin it used; an API behind a reverse proxy would configure its
 * public origin instead.
 */
function requestUrl(req: Request): URL {
  return new URL(req.originalUrl, `${req.protocol}://${req.headers.host ?? 'invalid.invalid'}`);
}

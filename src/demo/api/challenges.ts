/**
 * How the demo API says no (RFC 6750 §3): a `WWW-Authenticate: Bearer` challenge
 * with `error`, `error_description` and `scope` attributes, and the same facts
 * as a JSON body `{ error, error_description }`. The token itself is never
 * echoed. A request that used the DPoP scheme is answered with a `DPoP`
 * challenge (RFC 9449 §7.1), which also lists the proof algorithms accepted.
 */
import type { Response } from 'express';
import { DPOP_ALGORITHMS } from './dpop.js';

/** `realm` of every `WWW-Authenticate` challenge (RFC 6750 §3). */
const REALM = 'demo-api';

/** RFC 9449 §7.1: the `DPoP` challenge names the proof algorithms this API accepts. */
const DPOP_CHALLENGE = `DPoP realm="${REALM}", algs="${DPOP_ALGORITHMS.join(' ')}"`;

/** The authentication scheme a request used, and so the scheme of its challenge. */
export type Scheme = 'Bearer' | 'DPoP';

/** JSON error body of every refusal. */
export interface ErrorBody {
  error: string;
  error_description: string;
}

/**
 * Characters allowed in `error_description` and `scope` attribute values
 * (RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E, i.e. printable ASCII without `"` and `\`).
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}

export function sendJson(res: Response, status: number, body: ErrorBody | Record<string, unknown>): void {
  res.status(status).json(body);
}

/**
 * 401 with no error code: the request carried no (supported) credentials (RFC 6750 §3.1). Both
 * schemes are offered (RFC 9110 §11.6.1 allows several challenges).
 */
export function sendMissingToken(res: Response): void {
  res.set('WWW-Authenticate', `Bearer realm="${REALM}", ${DPOP_CHALLENGE}`);
  sendJson(res, 401, {
    error: 'missing_token',
    error_description: 'This API needs an access token in the Authorization header (Bearer or DPoP).',
  });
}

/** 400/401 with an RFC 6750 §3.1 error code in the challenge and the body. */
export function sendChallenge(
  res: Response,
  status: 400 | 401,
  error: 'invalid_request' | 'invalid_token',
  description: string,
  scheme: Scheme = 'Bearer',
): void {
  const challenge = scheme === 'DPoP' ? DPOP_CHALLENGE : `Bearer realm="${REALM}"`;
  res.set('WWW-Authenticate', `${challenge}, error="${error}", error_description="${headerSafe(description)}"`);
  sendJson(res, status, { error, error_description: description });
}

/**
 * 401 for a DPoP proof that does not prove this request (RFC 9449 §7.1 `invalid_dpop_proof`),
 * or that lacks our nonce (§9 `use_dpop_nonce`, with the nonce to use in `DPoP-Nonce`).
 */
export function sendDPoPProofError(
  res: Response,
  error: 'invalid_dpop_proof' | 'use_dpop_nonce',
  description: string,
  nonce: string | undefined,
): void {
  if (nonce !== undefined) res.set('DPoP-Nonce', nonce);
  res.set('WWW-Authenticate', `${DPOP_CHALLENGE}, error="${error}", error_description="${headerSafe(description)}"`);
  sendJson(res, 401, { error, error_description: description });
}

/** 403 `insufficient_scope` naming the scope needed (RFC 6750 §3.1, §3 `scope` attribute). */
export function sendInsufficientScope(res: Response, scope: string): void {
  res.set('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${headerSafe(scope)}"`);
  sendJson(res, 403, {
    error: 'insufficient_scope',
    error_description: `The access token lacks the scope ${scope}.`,
  });
}

/**
 * 403 for the wrong kind of caller (a machine token on a user route or the reverse).
 *
 * RFC 6750 §3.1 registers only three error codes; of those, `insufficient_scope`
 * ("requires higher privileges than provided by the access token") is the
 * closest, so the challenge uses it. The JSON body carries the precise,
 * app-specific code (`user_token_required` / `machine_token_required`), which a
 * client can act on. No `scope` attribute: no scope would fix it.
 */
export function sendWrongKind(res: Response, needed: 'user' | 'machine'): void {
  const description =
    needed === 'user'
      ? 'This route serves a signed-in user; a client-credentials (machine) token cannot use it.'
      : 'This route serves machine clients; use a client-credentials token, not a user token.';
  res.set(
    'WWW-Authenticate',
    `Bearer realm="${REALM}", error="insufficient_scope", error_description="${headerSafe(description)}"`,
  );
  sendJson(res, 403, { error: `${needed}_token_required`, error_description: description });
}

/**
 * Reading a resource server's `WWW-Authenticate` answer (RFC 6750 §3). Written
 * by hand: openid-client parses challenges only inside its own protected
 * resource requests, and the proxy and the M2M client make theirs with undici
 * and fetch.
 */

/**
 * True for a `Bearer` (or `DPoP`, RFC 9449 §7.1) challenge with
 * `error="invalid_token"` (RFC 6750 §3.1): the token is expired, revoked or
 * otherwise unusable, so a new one may succeed where it failed.
 */
export function isInvalidTokenChallenge(header: string | readonly string[] | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const value = typeof header === 'string' ? header : header.join(', ');
  return /\b(bearer|dpop)\b/i.test(value) && /\berror\s*=\s*(?:"invalid_token"|invalid_token(?![\w-]))/i.test(value);
}

/** True for a `DPoP` challenge with `error="use_dpop_nonce"` (RFC 9449 §9): send the proof again with its nonce. */
export function isUseDPoPNonceChallenge(header: string | readonly string[] | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const value = typeof header === 'string' ? header : header.join(', ');
  return /\bdpop\b/i.test(value) && /\berror\s*=\s*(?:"use_dpop_nonce"|use_dpop_nonce(?![\w-]))/i.test(value);
}

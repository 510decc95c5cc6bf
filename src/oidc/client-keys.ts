/**
 * The app's `private_key_jwt` keys, ready to use: the first one as a CryptoKey that signs every
 * client assertion, and the public halves of all of them for /.well-known/jwks.json.
 *
 * - The assertion is built and signed by openid-client's `PrivateKeyJwt` (RFC 7523 §3: `iss` and
 *   `sub` the client id, `aud` the issuer, a fresh `jti`, a 60-second `exp`); we only hand it the key.
 * - A key's `kid` is the one configured, or else its RFC 7638 thumbprint: stable for the key, so
 *   the provider can pick the right registered key during a rotation (RFC 7515 §4.1.4).
 * - The published keys are built member by member from an allow-list, so a private member (`d`,
 *   `p`, `q`, `dp`, `dq`, `qi`) can never reach the JWK Set.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import type * as client from 'openid-client';
import type { ClientAuthMethod, ClientKeyAlg, ClientKeysConfig, PrivateClientJwk } from '../config/config.js';
import type { Translate } from '../i18n/catalogues.js';

/**
 * Where the app publishes its public keys, for providers that fetch a client's `jwks_uri`
 * (RFC 7591 §2). A `.well-known` name (RFC 8615) so it is easy to find and to route.
 */
export const CLIENT_JWKS_PATH = '/.well-known/jwks.json';

/** What a public client key may show (RFC 7517 §4, RFC 7518 §6.2.1 and §6.3.1). */
export interface PublicClientJwk {
  readonly kty: 'RSA' | 'EC';
  readonly kid: string;
  readonly alg: ClientKeyAlg;
  readonly use: 'sig';
  readonly n?: string;
  readonly e?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
}

export interface ClientKeySet {
  /** Signs every client assertion: the first configured key, with its `kid`. */
  readonly signingKey: client.PrivateKey;
  readonly signingAlg: ClientKeyAlg;
  /** The public halves of every configured key, signing key first (RFC 7517 §5). */
  readonly jwks: { readonly keys: readonly PublicClientJwk[] };
  /** Generated at start for demo mode. */
  readonly ephemeral: boolean;
}

export async function importClientKeys(config: ClientKeysConfig): Promise<ClientKeySet> {
  const published = await Promise.all(config.keys.map(publicHalf));
  const [first] = config.keys;
  const [firstPublic] = published;
  if (!first || !firstPublic) throw new TypeError('importClientKeys: no keys');
  // Not extractable: nothing in the process can read the private key back out of the CryptoKey.
  const key = (await importJWK({ ...(first as JWK), ext: false }, first.alg)) as client.CryptoKey;
  return {
    signingKey: { key, kid: firstPublic.kid },
    signingAlg: first.alg,
    jwks: { keys: published },
    ephemeral: config.ephemeral,
  };
}

async function publicHalf(jwk: PrivateClientJwk): Promise<PublicClientJwk> {
  const members =
    jwk.kty === 'RSA'
      ? { kty: jwk.kty, n: String(jwk.n), e: String(jwk.e) }
      : { kty: jwk.kty, crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y) };
  const kid = jwk.kid ?? (await calculateJwkThumbprint(members, 'sha256'));
  return { ...members, kid, alg: jwk.alg, use: 'sig' };
}

/** One line for the pages: which client authentication the app uses, and with which key (never a secret). */
export function describeClientAuthentication(
  t: Translate,
  method: ClientAuthMethod,
  keys: ClientKeySet | null,
): string {
  switch (method) {
    case 'private_key_jwt':
      return keys
        ? t('pages:client_auth.private_key_jwt', { alg: keys.signingAlg, kid: keys.signingKey.kid ?? '' })
        : 'private_key_jwt';
    case 'client_secret_basic':
      return t('pages:client_auth.client_secret_basic');
    case 'client_secret_post':
      return t('pages:client_auth.client_secret_post');
  }
}

/**
 * The demo provider's signing keys, as private JWKs.
 *
 * oidc-provider signs with the first key in its `jwks` that fits the algorithm and publishes the
 * public half of every key at its jwks_uri, so rotating is: put the new key first (it signs, the
 * old one still verifies tokens already issued), later drop the old one.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#jwks
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import type { IdTokenAlg } from './profiles/index.js';

/** A fresh private key for `alg`, with `use: sig` and its RFC 7638 thumbprint as `kid`. */
export async function generateSigningKey(alg: IdTokenAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/**
 * RS256 (OIDC Core §15.1 mandatory-to-implement) and ES256 (JWT access tokens) always, plus the
 * profile's ID-token algorithms.
 */
export async function generateSigningKeys(idTokenAlgs: readonly IdTokenAlg[]): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of new Set<IdTokenAlg>(['RS256', 'ES256', ...idTokenAlgs])) keys.push(await generateSigningKey(alg));
  return keys;
}

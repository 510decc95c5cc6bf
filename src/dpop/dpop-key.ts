/**
 * The DPoP key pair of one login (RFC 9449): it proves, with every token request and every API
 * call, that whoever presents the login's tokens also holds its private key. A token copied out of
 * a log, a Redis dump or a proxy is useless without the key (RFC 9449 §1, §11.1).
 *
 * - One ES256 key pair per login (§2), made at the code exchange and kept for the whole login in
 *   the token record, so it is encrypted at rest with the tokens when they live in Redis
 *   (stores/redis/at-rest-cipher.ts) and any instance can use it. Never logged, never shown:
 *   pages and traces show only its thumbprint (`jkt`, RFC 7638), the value of the access token's
 *   `cnf.jkt` (§6.1).
 * - The record holds the private key as a JWK; turning it back into a key object costs more than
 *   signing a proof, so each instance keeps the keys it has imported, by thumbprint (bounded).
 * - Token requests (code exchange, refresh) get their proofs from openid-client's DPoP handle,
 *   which also answers a provider's `use_dpop_nonce` with one retry (§8).
 * - Proofs for the API, one per proxied call, are signed here (`proof`). Written by hand rather
 *   than with jose's SignJWT: jose signs through WebCrypto, asynchronously, and that costs several
 *   times the signature itself on every call (docs/benchmark.md), while a proof is a fixed header,
 *   five claims and one ES256 signature (RFC 7515 §7.1 compact form, RFC 7518 §3.4 signature
 *   encoding). The header and the token's hash are computed once and reused; the demo API and
 *   the tests check the proofs with jose.
 */
import { createHash, createPrivateKey, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import * as client from 'openid-client';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';

/** The one signature algorithm of our proofs: ES256 is the one every DPoP provider accepts. */
const ALG = 'ES256';

/** What the token record keeps of a login's key. */
export interface DPoPKeyRecord {
  /** JWK SHA-256 thumbprint of the public key (RFC 7638): the token's `cnf.jkt`. */
  readonly jkt: string;
  /** The private key (it includes the public coordinates). */
  readonly jwk: JWK;
}

/** A login's key, imported and ready to sign. */
export class DPoPKey {
  readonly record: DPoPKeyRecord;
  readonly #keyPair: client.CryptoKeyPair;
  /** The private key for node:crypto's synchronous `sign`. */
  readonly #signingKey: KeyObject;
  /** RFC 9449 §4.2: the same JOSE header on every proof of this key, base64url-encoded once. */
  readonly #header: string;
  #grants: { configuration: client.Configuration; handle: client.DPoPHandle } | undefined;
  /** The last access token hashed for `ath`, and its hash: the same token serves many calls. */
  #ath = { token: '', hash: '' };

  constructor(record: DPoPKeyRecord, keyPair: client.CryptoKeyPair, publicJwk: JWK) {
    this.record = record;
    this.#keyPair = keyPair;
    this.#signingKey = createPrivateKey({ key: record.jwk as JsonWebKey, format: 'jwk' });
    this.#header = base64url({ typ: 'dpop+jwt', alg: ALG, jwk: publicJwk });
  }

  get jkt(): string {
    return this.record.jkt;
  }

  /**
   * openid-client's handle for token requests with this key. One per key and provider
   * configuration, so the nonces it learned from the provider (§8) serve the next refresh too.
   */
  grantHandle(configuration: client.Configuration): client.DPoPHandle {
    if (this.#grants?.configuration !== configuration) {
      this.#grants = { configuration, handle: client.getDPoPHandle(configuration, this.#keyPair) };
    }
    return this.#grants.handle;
  }

  /**
   * A proof for one request to a protected resource (RFC 9449 §4.2, §7): the method, the target
   * URL without query and fragment, a fresh `jti`, the time, the access token's hash (`ath`) and
   * the server's nonce when it asked for one.
   */
  proof(htm: string, htu: string, accessToken: string, nonce?: string): string {
    if (this.#ath.token !== accessToken) {
      this.#ath = { token: accessToken, hash: createHash('sha256').update(accessToken).digest('base64url') };
    }
    // §4.2: `jti` with at least 96 bits of randomness (a v4 UUID has 122).
    const claims = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath: this.#ath.hash, nonce };
    const signingInput = `${this.#header}.${base64url(claims)}`;
    // RFC 7518 §3.4: an ES256 signature is R || S, 64 bytes, not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.#signingKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}

/** Makes login keys and keeps the imported ones, by thumbprint. */
export class DPoPKeys {
  readonly #imported: LRUCache<string, Promise<DPoPKey>>;

  constructor(maxImported = 10_000) {
    this.#imported = new LRUCache({ max: maxImported });
  }

  /** A new key pair for a login. */
  async create(): Promise<DPoPKey> {
    const keyPair = await client.randomDPoPKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(keyPair.privateKey);
    const publicJwk = publicPart(jwk);
    const record = { jkt: await calculateJwkThumbprint(publicJwk), jwk };
    const key = new DPoPKey(record, keyPair, publicJwk);
    this.#imported.set(record.jkt, Promise.resolve(key));
    return key;
  }

  /** The key of a stored record, imported once per instance. */
  load(record: DPoPKeyRecord): Promise<DPoPKey> {
    let key = this.#imported.get(record.jkt);
    if (!key) {
      key = importRecord(record);
      // A record that does not import must not stay cached as a rejected promise.
      key.catch(() => this.#imported.delete(record.jkt));
      this.#imported.set(record.jkt, key);
    }
    return key;
  }
}

async function importRecord(record: DPoPKeyRecord): Promise<DPoPKey> {
  const publicJwk = publicPart(record.jwk);
  const [privateKey, publicKey] = await Promise.all([
    importJWK(record.jwk, ALG, { extractable: false }),
    importJWK(publicJwk, ALG, { extractable: true }),
  ]);
  return new DPoPKey(record, { privateKey, publicKey } as client.CryptoKeyPair, publicJwk);
}

/** RFC 7515 §2: base64url of the UTF-8 JSON (an undefined member, like an absent nonce, is left out). */
function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The public members of an EC private JWK (RFC 7518 §6.2.1): what goes in every proof's header. */
function publicPart(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK;
}

/**
 * Checking a DPoP proof (RFC 9449 §4.3, §7.1) for a request that presents a DPoP-bound access
 * token with `Authorization: DPoP <token>`. Every rule of §4.3, in its order:
 *
 * 1. Exactly one `DPoP` header, a compact JWS (no second proof joined into it).
 * 2. `typ` is `dpop+jwt`, `alg` an asymmetric algorithm we accept (never `none` or HMAC), the
 *    signature verifies with the public key in the header's `jwk` (a private key there is refused).
 * 3. `htm` is the request's method, `htu` its URL without query and fragment (§4.2), compared
 *    after URL normalization (RFC 3986 §6).
 * 4. `iat` within a short window around now (a proof is good for one request, §11.1); with
 *    nonces demanded, `nonce` must be one we issued recently (§9), else 401 `use_dpop_nonce`.
 * 5. `ath` is the base64url SHA-256 of the presented access token (§4.3 item 12, §7.1).
 * 6. The proof's key is the token's key: its JWK thumbprint (RFC 7638) equals `cnf.jkt` (§6.1).
 * 7. `jti` not seen before within the window (§11.1): a copied proof cannot be replayed. Checked
 *    last, so proofs that fail other checks do not fill the cache; the cache is bounded, and an
 *    entry outlives the window in which its proof is acceptable.
 *
 * Importing a JWK costs more than verifying a signature, and a client proves many calls with one
 * key, so imported proof keys are kept by algorithm and thumbprint (bounded); the header's `jwk`
 * is still checked on every proof (public, `use` and `alg` fitting).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  calculateJwkThumbprint,
  EmbeddedJWK,
  jwtVerify,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
} from 'jose';
import { LRUCache } from 'lru-cache';

/** Proof signature algorithms accepted (RFC 9449 §4.3 item 5: asymmetric, never `none`). */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

/** Seconds a proof's `iat` may be off from now, either way. */
const IAT_WINDOW_SECONDS = 60;
/** How long one API nonce is handed out; the one before it is still accepted. */
const NONCE_ROTATION_MS = 5 * 60_000;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF_LENGTH = 4096;

/** Why a proof was refused: `invalid_dpop_proof`, or `use_dpop_nonce` when only a nonce is missing. */
export class DPoPProofRejected extends Error {
  constructor(
    readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce',
    readonly description: string,
  ) {
    super(description);
    this.name = 'DPoPProofRejected';
  }
}

export interface DPoPCheckOptions {
  /** Demand a nonce this API issued in every proof (RFC 9449 §9). Default: no. */
  readonly requireNonce?: boolean;
  /** Most proofs remembered for replay detection. Default 100,000. */
  readonly maxRememberedProofs?: number;
}

/** The request facts a proof must match. */
export interface ProofTarget {
  readonly method: string;
  /** The URL the client called, as this API sees it. */
  readonly url: URL;
}

export class DPoPProofChecker {
  readonly #requireNonce: boolean;
  readonly #seen: LRUCache<string, true>;
  /** `<alg>:<thumbprint>` → the imported public key. */
  readonly #keys = new LRUCache<string, CryptoKey>({ max: 10_000 });
  #nonces = { current: newNonce(), previous: '', rotatedAt: Date.now() };

  constructor(options: DPoPCheckOptions = {}) {
    this.#requireNonce = options.requireNonce ?? false;
    this.#seen = new LRUCache({ max: options.maxRememberedProofs ?? 100_000, ttl: 2 * IAT_WINDOW_SECONDS * 1000 });
  }

  /** The nonce to hand out now (the `DPoP-Nonce` header), or undefined when none is demanded. */
  nonce(): string | undefined {
    if (!this.#requireNonce) return undefined;
    const now = Date.now();
    if (now - this.#nonces.rotatedAt > NONCE_ROTATION_MS) {
      this.#nonces = { current: newNonce(), previous: this.#nonces.current, rotatedAt: now };
    }
    return this.#nonces.current;
  }

  /** Resolves when `proof` proves this request for `accessToken`, bound to `jkt`; else throws DPoPProofRejected. */
  async check(
    proof: string | string[] | undefined,
    target: ProofTarget,
    accessToken: string,
    jkt: string,
  ): Promise<void> {
    if (typeof proof !== 'string' || proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) {
      throw invalid('Send exactly one DPoP proof (a compact JWS) in the DPoP header.');
    }
    let payload: JWTPayload;
    let thumbprint = '';
    const proofKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
      const jwk = header.jwk as JWK | undefined;
      // What EmbeddedJWK checks, for a key found in the cache: a public JWK fit for this signature.
      if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) throw new Error('the proof key is not a public JWK');
      if ((jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== header.alg)) {
        throw new Error('the proof key is not for this signature');
      }
      thumbprint = await calculateJwkThumbprint(jwk);
      const cacheKey = `${String(header.alg)}:${thumbprint}`;
      let key = this.#keys.get(cacheKey);
      if (!key) {
        key = await EmbeddedJWK(header, token);
        this.#keys.set(cacheKey, key);
      }
      return key;
    };
    try {
      ({ payload } = await jwtVerify(proof, proofKey, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS] }));
    } catch {
      throw invalid('The DPoP proof is not a valid dpop+jwt signed by the key in its header.');
    }
    if (payload['htm'] !== target.method) throw invalid('The DPoP proof is for another method (htm).');
    if (!sameResource(payload['htu'], target.url)) throw invalid('The DPoP proof is for another URL (htu).');
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW_SECONDS) {
      throw invalid('The DPoP proof was not made just now (iat).');
    }
    if (typeof payload.jti !== 'string' || payload.jti.length < 16 || payload.jti.length > 256) {
      throw invalid('The DPoP proof needs a unique jti.');
    }
    if (this.#requireNonce && !this.#knownNonce(payload['nonce'])) {
      throw new DPoPProofRejected('use_dpop_nonce', 'Use the nonce this API sent in the DPoP-Nonce header.');
    }
    if (payload['ath'] !== createHash('sha256').update(accessToken).digest('base64url')) {
      throw invalid('The DPoP proof is for another access token (ath).');
    }
    if (thumbprint !== jkt) {
      throw invalid('The DPoP proof is signed with a key the access token is not bound to (cnf.jkt).');
    }
    const replayKey = `${jkt}:${payload.jti}`;
    if (this.#seen.has(replayKey)) throw invalid('This DPoP proof was already used (jti).');
    this.#seen.set(replayKey, true);
  }

  #knownNonce(nonce: unknown): boolean {
    this.nonce(); // rotates when due
    return typeof nonce === 'string' && (nonce === this.#nonces.current || nonce === this.#nonces.previous);
  }
}

function invalid(description: string): DPoPProofRejected {
  return new DPoPProofRejected('invalid_dpop_proof', description);
}

function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** `htu` names the request's URL, ignoring query and fragment (RFC 9449 §4.3 item 9), both normalized. */
function sameResource(htu: unknown, url: URL): boolean {
  if (typeof htu !== 'string') return false;
  const claimed = URL.parse(htu);
  if (!claimed) return false;
  return `${claimed.origin}${claimed.pathname}` === `${url.origin}${url.pathname}`;
}

/** The `cnf.jkt` of a DPoP-bound access token (RFC 9449 §6.1), if it has one. */
export function boundKeyThumbprint(claims: JWTPayload): string | undefined {
  const cnf = claims['cnf'];
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as Record<string, unknown>)['jkt'];
  return typeof jkt === 'string' ? jkt : undefined;
}

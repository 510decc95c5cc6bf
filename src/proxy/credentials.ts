/**
 * The credential an upstream call carries, for the proxy and the M2M API client alike: the
 * access token, and for a DPoP-bound token (RFC 9449) a fresh proof of its key with every request
 * (a login's key, or the app instance's for client-credentials tokens).
 *
 * - Bearer (RFC 6750 §2.1): `Authorization: Bearer <token>`.
 * - DPoP (RFC 9449 §7.1): `Authorization: DPoP <token>` and a `DPoP` header holding a proof of
 *   this request: `htm`, `htu` (the upstream URL without query or fragment, §4.2), `iat`, a
 *   fresh `jti`, `ath` (the token's hash) and the API's newest nonce, if it gave us one (§9).
 *   The token type decides, not the setting: a provider that ignored our proof issued a bearer
 *   token, and a bearer token sent with the DPoP scheme would be refused (§7.1).
 * - The API may answer 401 `use_dpop_nonce` with a `DPoP-Nonce` header (§9): the proxy sends
 *   the call once more with that nonce, and only when the nonce is not the one it just sent.
 *   Nonces are remembered per origin; any answer's `DPoP-Nonce` replaces the one held (§9).
 */
import type { DPoPKeyRecord, DPoPKeys } from '../dpop/dpop-key.js';
import { DPoPNonces } from '../dpop/nonces.js';
import { isUseDPoPNonceChallenge } from '../tokens/bearer-challenge.js';

/** What a sender needs of a token: the token, its type, and its DPoP key when it is bound. */
export interface UpstreamToken {
  readonly accessToken: string;
  readonly tokenType?: string;
  readonly dpopKey?: DPoPKeyRecord | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

/** What one attempt sent, so a `use_dpop_nonce` answer can be told from a nonce already tried. */
export interface SentCredential {
  readonly dpop: boolean;
  readonly nonce: string | undefined;
}

const BEARER: SentCredential = { dpop: false, nonce: undefined };

/** RFC 9449 §4.2: a proof's `htu` is the target URL without query and fragment (URL has normalized it). */
export function proofTarget(url: URL): string {
  return url.origin + url.pathname;
}

export class UpstreamCredentials {
  readonly #keys: DPoPKeys;
  readonly #nonces = new DPoPNonces();

  constructor(keys: DPoPKeys) {
    this.#keys = keys;
  }

  /**
   * Sets `Authorization: Bearer` when the token is not DPoP-bound and says so; undefined for a
   * DPoP-bound token, which needs `apply` (a proof per request).
   */
  bearer(headers: Record<string, string | string[]>, tokens: UpstreamToken): SentCredential | undefined {
    if (tokens.tokenType === 'dpop' && tokens.dpopKey) return undefined;
    headers.authorization = `Bearer ${tokens.accessToken}`;
    if (headers.dpop !== undefined) delete headers.dpop;
    return BEARER;
  }

  /** Sets `authorization` (and `dpop`) on the upstream request's headers for one attempt. */
  async apply(
    headers: Record<string, string | string[]>,
    tokens: UpstreamToken,
    method: string,
    htu: string,
    origin: string,
  ): Promise<SentCredential> {
    const bearer = this.bearer(headers, tokens);
    if (bearer || !tokens.dpopKey) return BEARER;
    const key = await this.#keys.load(tokens.dpopKey);
    const nonce = this.#nonces.get(origin);
    headers.authorization = `DPoP ${tokens.accessToken}`;
    headers.dpop = key.proof(method, htu, tokens.accessToken, nonce);
    return { dpop: true, nonce };
  }

  /** Keeps a `DPoP-Nonce` the API sent with any answer (§9: it may rotate it at any time). */
  noteNonce(origin: string, headers: Headers): void {
    const nonce = headers['dpop-nonce'];
    if (nonce !== undefined) this.#nonces.remember(origin, nonce);
  }

  /** Whether a held-back 401 asks for the one retry with a new nonce (§9). */
  wantsNonceRetry(origin: string, headers: Headers, sent: SentCredential): boolean {
    if (!sent.dpop || !isUseDPoPNonceChallenge(headers['www-authenticate'])) return false;
    const nonce = this.#nonces.remember(origin, headers['dpop-nonce']);
    return nonce !== undefined && nonce !== sent.nonce;
  }
}

/**
 * DPoP nonces a resource server gave us (RFC 9449 §9), remembered per origin so the next proof
 * to that server carries the newest one and needs no retry. Bounded: the proxy talks to a few
 * origins, and a forgotten nonce costs one retry, nothing more.
 *
 * The provider's nonces (§8) are openid-client's business: its DPoP handle keeps them.
 */
import { LRUCache } from 'lru-cache';

/** RFC 9449 §8.1: `nonce = 1*NQCHAR` (printable ASCII without `"` and `\`); longer than this is refused. */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]{1,512}$/;

export class DPoPNonces {
  readonly #byOrigin = new LRUCache<string, string>({ max: 100 });

  get(origin: string): string | undefined {
    return this.#byOrigin.get(origin);
  }

  /** Keeps the `DPoP-Nonce` header's value for `origin` and returns it; undefined when absent or malformed. */
  remember(origin: string, header: string | readonly string[] | undefined): string | undefined {
    if (typeof header !== 'string' || !NONCE.test(header)) return undefined;
    if (this.#byOrigin.get(origin) !== header) this.#byOrigin.set(origin, header);
    return header;
  }
}

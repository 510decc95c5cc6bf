/**
 * Encryption of what we keep in Redis that would let a reader call APIs as
 * someone: token sets and the M2M token cache. Whoever can read Redis (a
 * backup, a replica, a `MONITOR`, a shared managed instance) must not get
 * bearer tokens (RFC 6750 §5.3: "protect bearer tokens"; RFC 9700 §4.14).
 *
 * - AES-256-GCM from node:crypto, a fresh 96-bit IV per record (NIST SP
 *   800-38D §8.2). Written by hand: jose's JWE would do the same, but its
 *   compact form starts with a base64url JSON header (`eyJ…`), and "no `eyJ`
 *   in Redis" is the simplest check an operator can run.
 * - The record's context (its Redis key, and the version for token sets) is
 *   the additional authenticated data: a record copied to another key or
 *   session does not decrypt.
 * - Keys rotate: the first key encrypts, every key decrypts. Each record names
 *   its key by a short fingerprint, so reading never tries keys one by one.
 * - Hex, not base64: a base64 text can contain `eyJ` by chance.
 * - Format: `a256gcm.<key fingerprint>.<hex(iv | tag | ciphertext)>`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'a256gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Key {
  readonly id: string;
  readonly secret: Buffer;
}

export class AtRestCipher {
  readonly #keys: readonly Key[];
  /** Records decrypted so far (the token store caches them: see token-store.ts). */
  decryptions = 0;

  /** `hexKeys`: 32-byte keys as 64 hex characters (config.ts parses TOKEN_ENCRYPTION_KEY); the first encrypts. */
  constructor(hexKeys: readonly string[]) {
    if (hexKeys.length === 0) throw new Error('at least one encryption key is needed');
    this.#keys = hexKeys.map((hex) => {
      const secret = Buffer.from(hex, 'hex');
      if (secret.length !== 32) throw new Error('encryption keys must be 32 bytes');
      return { id: createHash('sha256').update(secret).digest('hex').slice(0, 8), secret };
    });
  }

  seal(plaintext: string, context: string): string {
    const key = this.#keys[0] as Key;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.secret, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${FORMAT}.${key.id}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('hex')}`;
  }

  /** The plaintext, or undefined when the record is malformed, under an unknown key, or was tampered with. */
  open(sealed: string, context: string): string | undefined {
    const [format, keyId, payload] = sealed.split('.');
    const key = this.#keys.find((k) => k.id === keyId);
    if (format !== FORMAT || !key || payload === undefined) return undefined;
    const bytes = Buffer.from(payload, 'hex');
    if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
    this.decryptions += 1;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.secret, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

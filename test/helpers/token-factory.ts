/**
 * A stand-in authorization server for resource-server tests: it serves a JWKS
 * over HTTP and mints JWT access tokens (RFC 9068 shape) signed with its keys.
 *
 * - `GET <issuer>/jwks` returns the public keys (one per algorithm: RS256,
 *   PS256, ES256, EdDSA), each with `kid`, `alg` and `use: "sig"`.
 * - `mint(claims)` fills in `iss`, `iat`, `exp`, `jti` and signs with the
 *   trusted key of the chosen algorithm. `key: 'untrusted'` signs with a
 *   different private key under the *same* `kid` (a forged signature);
 *   `alg: 'HS256'` signs with a random secret and `alg: 'none'` leaves the
 *   token unsigned (both must be refused by any resource server).
 * - `rotate()` replaces the RS256 key with a new one under a new `kid`, like a
 *   provider's key rotation; `jwksRequests` counts fetches so a test can see the
 *   resource server re-fetch.
 * - `setJwksAvailable(false)` makes `/jwks` answer 503 (provider down).
 *
 * Always `await factory.close()`: it closes the server and its keep-alive
 * connections so the test process can exit.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/** Algorithms the factory can sign with. `HS256` and `none` exist to be refused. */
export type MintAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256' | 'none';
type AsymmetricAlgorithm = Exclude<MintAlgorithm, 'HS256' | 'none'>;

export interface MintOptions {
  /** Default `RS256`. */
  alg?: MintAlgorithm;
  /** Overrides the `kid` header (e.g. a kid the JWKS does not have). */
  kid?: string;
  /** Seconds until `exp` (negative: already expired). `null`: no `exp` claim. Default 300. */
  expiresIn?: number | null;
  /** `untrusted`: same `kid`, different private key, so the signature does not verify. Default `trusted`. */
  key?: 'trusted' | 'untrusted';
  /** `typ` header. Default `at+jwt` (RFC 9068 §2.1); `null` omits it. */
  typ?: string | null;
}

export interface TokenFactory {
  /** `http://127.0.0.1:<port>`: the default `iss` of minted tokens. */
  readonly issuer: string;
  /** `<issuer>/jwks`. */
  readonly jwksUri: URL;
  /** How many times `/jwks` has been requested. */
  readonly jwksRequests: number;
  /**
   * Signs a JWT. `claims` are merged over the defaults (`iss`, `iat`, `exp`,
   * `jti`); a claim set to `undefined` is left out of the token.
   */
  mint(claims: JWTPayload, options?: MintOptions): Promise<string>;
  /** New RS256 key and `kid`; the old public key stays published unless `keepPrevious: false`. Returns the new kid. */
  rotate(options?: { keepPrevious?: boolean }): Promise<string>;
  /** `false`: `/jwks` answers 503 until set back to `true`. */
  setJwksAvailable(available: boolean): void;
  close(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

const ASYMMETRIC: readonly AsymmetricAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

async function newKey(alg: AsymmetricAlgorithm, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

/** Starts the JWKS server on 127.0.0.1 (random port) and generates the keys. */
export async function createTokenFactory(): Promise<TokenFactory> {
  let generation = 0;
  const kidFor = (alg: string) => `test-${alg.toLowerCase()}-${++generation}`;

  const trusted = new Map<AsymmetricAlgorithm, SigningKey>();
  const untrusted = new Map<AsymmetricAlgorithm, CryptoKey>();
  /** Public keys no longer used for signing but still published (after a rotation). */
  let retired: JWK[] = [];
  const keys = await Promise.all(ASYMMETRIC.map((alg) => newKey(alg, kidFor(alg))));
  ASYMMETRIC.forEach((alg, i) => {
    const key = keys[i];
    if (key) trusted.set(alg, key);
  });

  let jwksRequests = 0;
  let jwksAvailable = true;

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks') {
      jwksRequests += 1;
      if (!jwksAvailable) {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
      const published = [...[...trusted.values()].map((k) => k.publicJwk), ...retired];
      res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: published }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  function trustedKey(alg: AsymmetricAlgorithm): SigningKey {
    const key = trusted.get(alg);
    if (!key) throw new Error(`no key for ${alg}`);
    return key;
  }

  async function untrustedKey(alg: AsymmetricAlgorithm): Promise<CryptoKey> {
    let key = untrusted.get(alg);
    if (!key) {
      key = (await generateKeyPair(alg)).privateKey;
      untrusted.set(alg, key);
    }
    return key;
  }

  async function mint(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn;
    const payload: JWTPayload = {
      iss: issuer,
      iat: now,
      jti: randomUUID(),
      ...(expiresIn === null ? {} : { exp: now + expiresIn }),
      ...claims,
    };
    const typ = options.typ === undefined ? 'at+jwt' : options.typ;

    if (alg === 'none') {
      const header = { alg: 'none', ...(typ === null ? {} : { typ }), ...(options.kid ? { kid: options.kid } : {}) };
      return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`;
    }
    // Symmetric: a random secret, the classic "alg confusion" token, under the RS256 kid.
    const kid = options.kid ?? (alg === 'HS256' ? trustedKey('RS256').kid : trustedKey(alg).kid);
    const key =
      alg === 'HS256'
        ? new Uint8Array(randomBytes(32))
        : options.key === 'untrusted'
          ? await untrustedKey(alg)
          : trustedKey(alg).privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg, kid, ...(typ === null ? {} : { typ }) }).sign(key);
  }

  async function rotate(options: { keepPrevious?: boolean } = {}): Promise<string> {
    const previous = trustedKey('RS256');
    const next = await newKey('RS256', kidFor('RS256'));
    trusted.set('RS256', next);
    retired = options.keepPrevious === false ? [] : [...retired, previous.publicJwk];
    return next.kid;
  }

  return {
    issuer,
    jwksUri: new URL('/jwks', issuer),
    get jwksRequests() {
      return jwksRequests;
    },
    mint,
    rotate,
    setJwksAvailable(available: boolean) {
      jwksAvailable = available;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets held by a fetch client would otherwise keep the server open.
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The app's private keys for `private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9),
 * read from OIDC_CLIENT_PRIVATE_KEY or OIDC_CLIENT_PRIVATE_KEY_FILE and checked at start.
 *
 * Accepted forms: one or more PEM private keys (PKCS#8 `BEGIN PRIVATE KEY`, or the older PKCS#1 /
 * SEC 1 blocks), a private JWK, or a JWK Set (`{"keys": [...]}`). With several keys the first signs
 * every client assertion and all of them are published at /.well-known/jwks.json: that is the
 * rotation path (add the new key second, let the provider learn it, move it first, remove the old).
 *
 * Rules enforced here (each broken one is a start-up problem that names the key by position, never
 * by its content):
 * - a private key, not a public key or a certificate, and not encrypted (there is no passphrase);
 * - RSA of at least 2048 bits (RFC 7518 §3.3) signing RS256 or PS256, or EC P-256 signing ES256:
 *   the algorithms every provider we document accepts for client assertions (Auth0 takes RS256,
 *   RS384 and PS256 only: https://auth0.com/docs/get-started/applications/credentials);
 * - a JWK's own `alg` must fit its key, its `use` (if any) must be `sig`, and `kid`s are unique.
 *
 * Node's crypto does the parsing, synchronously, so the one ConfigError lists these problems with
 * every other; the keys are turned into CryptoKeys for signing later (src/oidc/client-keys.ts).
 */
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Client assertion algorithms this app signs with; the default for a key without `alg` comes first. */
const RSA_ALGS = ['RS256', 'PS256'] as const;
const EC_ALGS = ['ES256'] as const;
export type ClientKeyAlg = (typeof RSA_ALGS)[number] | (typeof EC_ALGS)[number];

/** A validated private key as a JWK: `kty`, the key members (`d` included), `alg`, and `kid` when one was given. */
export type PrivateClientJwk = Readonly<JsonWebKey & { kty: 'RSA' | 'EC'; alg: ClientKeyAlg; kid?: string }>;

export interface ClientKeysConfig {
  /** The first signs; all are published (rotation). */
  readonly keys: readonly PrivateClientJwk[];
  /** Made at start because demo mode had none configured: it dies with the process. */
  readonly ephemeral: boolean;
}

export interface ClientKeySettings {
  /** OIDC_CLIENT_PRIVATE_KEY. */
  readonly inline: string | undefined;
  /** OIDC_CLIENT_PRIVATE_KEY_FILE: a path, for keys mounted as files (Kubernetes or Docker secrets). */
  readonly file: string | undefined;
  /** The settings that sign with the key, e.g. `OIDC_AUTH_METHOD=private_key_jwt`; empty when none does. */
  readonly neededBy: readonly string[];
  /** Demo mode: with no key configured, one is made for this process. */
  readonly demo: boolean;
}

/** The configured keys (null when nothing signs) and the problems with the settings. */
export function loadClientKeys(settings: ClientKeySettings): { keys: ClientKeysConfig | null; problems: string[] } {
  const { inline, file, neededBy, demo } = settings;
  if (inline !== undefined && file !== undefined) {
    return {
      keys: null,
      problems: ['OIDC_CLIENT_PRIVATE_KEY and OIDC_CLIENT_PRIVATE_KEY_FILE: set one of them, not both'],
    };
  }
  const source = file !== undefined ? 'OIDC_CLIENT_PRIVATE_KEY_FILE' : 'OIDC_CLIENT_PRIVATE_KEY';
  if (neededBy.length === 0) {
    if (inline === undefined && file === undefined) return { keys: null, problems: [] };
    // A key nothing uses is a sign that the method was forgotten; refusing says so at once.
    return {
      keys: null,
      problems: [
        `${source}: set, but neither OIDC_AUTH_METHOD nor M2M_AUTH_METHOD is private_key_jwt (choose private_key_jwt, or remove the key)`,
      ],
    };
  }
  if (inline === undefined && file === undefined) {
    if (demo) return { keys: { keys: [generateEphemeralClientKey()], ephemeral: true }, problems: [] };
    return {
      keys: null,
      problems: [
        `OIDC_CLIENT_PRIVATE_KEY or OIDC_CLIENT_PRIVATE_KEY_FILE: required with ${neededBy.join(' and ')} (npm run keys makes one)`,
      ],
    };
  }
  let text = inline;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      return { keys: null, problems: [`OIDC_CLIENT_PRIVATE_KEY_FILE: the file cannot be read (${code})`] };
    }
  }
  const parsed = parseClientKeys(text ?? '', source);
  return 'problems' in parsed
    ? { keys: null, problems: parsed.problems }
    : { keys: { keys: parsed.keys, ephemeral: false }, problems: [] };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const MIN_RSA_BITS = 2048;

/**
 * Parses and checks the keys in `text`. `source` names the variable in messages.
 * Returns the keys, or the problems (never quoting the text).
 */
export function parseClientKeys(text: string, source: string): { keys: PrivateClientJwk[] } | { problems: string[] } {
  const trimmed = text.trim();
  let candidates: Array<{ label: string; read: () => KeyObject; jwk?: JsonWebKey & { kid?: string; use?: string } }>;
  if (trimmed.startsWith('{')) {
    const parsed = parseJson(trimmed);
    if (parsed === undefined) return { problems: [`${source}: not valid JSON (expected a private JWK or a JWK Set)`] };
    const jwks = Array.isArray((parsed as { keys?: unknown }).keys) ? (parsed as { keys: unknown[] }).keys : [parsed];
    if (jwks.length === 0) return { problems: [`${source}: the JWK Set has no keys`] };
    candidates = jwks.map((jwk, index) => ({
      label: jwks.length > 1 ? `key ${index + 1}` : 'the key',
      jwk: (jwk ?? {}) as JsonWebKey,
      read: () => createPrivateKey({ key: (jwk ?? {}) as JsonWebKey, format: 'jwk' }),
    }));
  } else {
    // Environment variables often carry a PEM with its line breaks written as "\n".
    const pem = trimmed.includes('\n') ? trimmed : trimmed.replaceAll('\\n', '\n');
    const blocks = [...pem.matchAll(PEM_BLOCK)];
    if (blocks.length === 0) {
      return { problems: [`${source}: neither a PEM private key nor a JWK / JWK Set (JSON)`] };
    }
    candidates = blocks.map(([block, kind], index) => ({
      label: blocks.length > 1 ? `key ${index + 1}` : 'the key',
      read: () => {
        if (/PUBLIC KEY|CERTIFICATE/.test(kind ?? '')) throw new NotPrivate(`is a ${kind?.toLowerCase()}`);
        if (/ENCRYPTED/.test(kind ?? '')) throw new NotPrivate('is encrypted; give the decrypted PKCS#8 key');
        return createPrivateKey(block);
      },
    }));
  }

  const problems: string[] = [];
  const keys: PrivateClientJwk[] = [];
  for (const candidate of candidates) {
    const result = checkKey(candidate.read, candidate.jwk);
    if (typeof result === 'string') problems.push(`${source}: ${candidate.label} ${result}`);
    else keys.push(result);
  }
  const kids = keys.map((key) => key.kid).filter((kid) => kid !== undefined);
  if (new Set(kids).size !== kids.length) problems.push(`${source}: two keys have the same kid`);
  const publicParts = keys.map((key) => `${key.n ?? ''}.${key.x ?? ''}.${key.y ?? ''}`);
  if (new Set(publicParts).size !== publicParts.length) problems.push(`${source}: the same key is given twice`);
  return problems.length > 0 ? { problems } : { keys };
}

/** A P-256 key for demo mode when none is configured (ES256: small and fast to sign with). */
export function generateEphemeralClientKey(): PrivateClientJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JsonWebKey & { kty: 'EC' }), alg: 'ES256' };
}

class NotPrivate extends Error {}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The checked key as a private JWK, or what is wrong with it (a phrase after "the key"). */
function checkKey(
  read: () => KeyObject,
  given: (JsonWebKey & { kid?: unknown; use?: unknown; alg?: unknown }) | undefined,
): PrivateClientJwk | string {
  if (given !== undefined) {
    if (typeof given !== 'object' || typeof given.kty !== 'string') return 'is not a JWK (no "kty")';
    if (given.kty === 'oct') return 'is a symmetric key; private_key_jwt needs an RSA or EC private key';
    if (given.d === undefined) return 'is a public key (no "d"): give the private JWK';
    if (given.use !== undefined && given.use !== 'sig') return 'has "use" other than "sig"';
    if (given.kid !== undefined && (typeof given.kid !== 'string' || given.kid === '')) {
      return 'has a "kid" that is not a non-empty string';
    }
  }
  let key: KeyObject;
  try {
    key = read();
  } catch (err) {
    return err instanceof NotPrivate ? err.message : 'could not be read as a private key';
  }
  if (key.type !== 'private') return 'is not a private key';
  const requested = typeof given?.alg === 'string' ? given.alg : undefined;
  const details = key.asymmetricKeyDetails ?? {};
  let kty: 'RSA' | 'EC';
  let allowed: readonly ClientKeyAlg[];
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) return `is an RSA key shorter than ${MIN_RSA_BITS} bits`;
    kty = 'RSA';
    allowed = RSA_ALGS;
  } else if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    kty = 'EC';
    allowed = EC_ALGS;
  } else {
    return `is a ${key.asymmetricKeyType ?? 'unknown'}${details.namedCurve ? ` ${details.namedCurve}` : ''} key; use RSA (RS256, PS256) or EC P-256 (ES256)`;
  }
  const alg = requested ?? allowed[0];
  if (!allowed.includes(alg as ClientKeyAlg)) {
    return `has alg ${requested} where this ${kty} key signs ${allowed.join(' or ')}`;
  }
  const jwk = key.export({ format: 'jwk' });
  const kid = typeof given?.kid === 'string' ? given.kid : undefined;
  return { ...jwk, kty, alg: alg as ClientKeyAlg, ...(kid !== undefined && { kid }) };
}

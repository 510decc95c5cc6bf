/**
 * `npm run keys`: a new key pair for private_key_jwt client authentication (RFC 7523 §2.2).
 *
 *   npm run keys                          # RS256 (RSA 2048): accepted by Auth0, Okta, Keycloak, Entra
 *   npm run keys -- --alg ES256           # or PS256; ES256 is smaller and faster, not accepted by Auth0
 *   npm run keys -- --out client-key.json # writes the private key to a new file (mode 600) instead of printing it
 *   npm run keys -- --kid my-key-2026     # a kid of your choosing (default: the RFC 7638 thumbprint)
 *
 * Prints the private key as a one-line JWK for OIDC_CLIENT_PRIVATE_KEY (or writes it for
 * OIDC_CLIENT_PRIVATE_KEY_FILE), then the public JWK and the public PEM to register at the
 * provider. The output is checked by the same code that checks the app's configuration.
 * Its sentences are in Japanese under a Japanese locale (`LANG=ja_JP.UTF-8`;
 * src/config/cli-language.ts), from locales/<language>/cli.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { parseClientKeys, type ClientKeyAlg } from '../src/config/client-keys.js';
import { readCliLanguage } from '../src/config/cli-language.js';
import { translator } from '../src/i18n/catalogues.js';

const ALGS: readonly ClientKeyAlg[] = ['RS256', 'PS256', 'ES256'];
const t = translator(readCliLanguage());

const { values } = parseArgs({
  options: {
    alg: { type: 'string', default: 'RS256' },
    kid: { type: 'string' },
    out: { type: 'string' },
  },
});
const alg = values.alg as ClientKeyAlg;
if (!ALGS.includes(alg)) {
  console.error(t('cli:keys.alg_invalid', { algs: ALGS.join(', ') }));
  process.exit(2);
}

const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
const publicJwk = await exportJWK(publicKey);
const kid = values.kid ?? (await calculateJwkThumbprint(publicJwk));
const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
const checked = parseClientKeys(JSON.stringify(privateJwk), 'the generated key');
if ('problems' in checked) throw new Error(checked.problems.join('; '));

const privateText = JSON.stringify(privateJwk);
const lines: string[] = [];
if (values.out) {
  // `wx`: never overwrite a key that may still be registered somewhere.
  try {
    writeFileSync(values.out, `${privateText}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    console.error(
      t('cli:keys.cannot_write', { file: values.out, reason: (err as NodeJS.ErrnoException).code ?? String(err) }),
    );
    process.exit(1);
  }
  lines.push(
    t('cli:keys.written', { file: values.out }),
    `  OIDC_AUTH_METHOD=private_key_jwt`,
    `  OIDC_CLIENT_PRIVATE_KEY_FILE=${values.out}`,
  );
} else {
  lines.push(t('cli:keys.printed'), `  OIDC_AUTH_METHOD=private_key_jwt`, `  OIDC_CLIENT_PRIVATE_KEY='${privateText}'`);
}
lines.push(
  '',
  t('cli:keys.public_key', { kid, alg }),
  '',
  JSON.stringify({ keys: [{ ...publicJwk, kid, alg, use: 'sig' }] }, null, 2),
  '',
  t('cli:keys.pem'),
  '',
  (await exportSPKI(publicKey)).trim(),
  '',
  t('cli:keys.rotating', { example: '{"keys":[<current>,<new>]}' }),
);
console.log(lines.join('\n'));

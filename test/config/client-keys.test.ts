/**
 * The private_key_jwt settings at start: which key forms are accepted, and one ConfigError that
 * lists every problem (without ever quoting the key) for the ones that are not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { importClientKeys } from '../../src/oidc/client-keys.js';
import { problemsOf } from '../helpers/config-problems.js';

const REAL = {
  NODE_ENV: 'test',
  OIDC_ISSUER: 'https://idp.example.com/',
  OIDC_CLIENT_ID: 'bff',
  OIDC_AUTH_METHOD: 'private_key_jwt',
};
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const ecJwk = ec.privateKey.export({ format: 'jwk' });

describe('private_key_jwt configuration', () => {
  it('accepts a PKCS#8 PEM (also with its line breaks written as \\n) and signs RS256 with the thumbprint as kid', async () => {
    for (const text of [rsaPem, rsaPem.trim().replaceAll('\n', '\\n')]) {
      const config = loadConfig({ ...REAL, OIDC_CLIENT_PRIVATE_KEY: text });
      assert.equal(config.oidc.authMethod, 'private_key_jwt');
      assert.equal(config.oidc.clientSecret, undefined);
      const keys = await importClientKeys(config.clientKeys!);
      assert.equal(keys.signingAlg, 'RS256');
      assert.match(keys.signingKey.kid ?? '', /^[\w-]{43}$/);
      assert.equal(keys.signingKey.key.type, 'private');
      assert.equal(keys.signingKey.key.extractable, false, 'nothing can read the private key back');
    }
  });

  it('a JWK Set rotates: the first key signs, every key is published', async () => {
    const config = loadConfig({
      ...REAL,
      OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({
        keys: [{ ...ecJwk, kid: 'new' }, rsa.privateKey.export({ format: 'jwk' })],
      }),
    });
    const keys = await importClientKeys(config.clientKeys!);
    assert.equal(keys.signingKey.kid, 'new');
    assert.equal(keys.signingAlg, 'ES256');
    assert.deepEqual(
      keys.jwks.keys.map((key) => [key.kid === 'new', key.alg]),
      [
        [true, 'ES256'],
        [false, 'RS256'],
      ],
    );
  });

  it('reads the key from OIDC_CLIENT_PRIVATE_KEY_FILE (a mounted secret)', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'client-key-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'key.json');
    await writeFile(file, JSON.stringify(ecJwk));
    assert.equal(loadConfig({ ...REAL, OIDC_CLIENT_PRIVATE_KEY_FILE: file }).clientKeys?.keys[0]?.alg, 'ES256');
    assert.deepEqual(problemsOf({ ...REAL, OIDC_CLIENT_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem') }), [
      'OIDC_CLIENT_PRIVATE_KEY_FILE: the file cannot be read (ENOENT)',
    ]);
  });

  it('refuses what is not a usable private key, naming the key and never quoting it', () => {
    const cases: Array<[string, RegExp]> = [
      [rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(), /the key is a public key/],
      [JSON.stringify(ec.publicKey.export({ format: 'jwk' })), /the key is a public key \(no "d"\)/],
      [
        generateKeyPairSync('rsa', { modulusLength: 1024 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
        /shorter than 2048 bits/,
      ],
      [
        generateKeyPairSync('ec', { namedCurve: 'P-384' })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
        /secp384r1 key; use RSA \(RS256, PS256\) or EC P-256 \(ES256\)/,
      ],
      [generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), /ed25519 key/],
      [JSON.stringify({ ...ecJwk, alg: 'RS256' }), /has alg RS256 where this EC key signs ES256/],
      [JSON.stringify({ ...ecJwk, use: 'enc' }), /"use" other than "sig"/],
      [JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), /is a symmetric key/],
      [
        rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString(),
        /is encrypted/,
      ],
      ['{not json', /not valid JSON/],
      ['just-a-secret-string', /neither a PEM private key nor a JWK/],
      [JSON.stringify({ keys: [] }), /the JWK Set has no keys/],
    ];
    for (const [text, expected] of cases) {
      const problems = problemsOf({ ...REAL, OIDC_CLIENT_PRIVATE_KEY: text });
      assert.equal(problems.length, 1, `${expected}: ${problems.join('; ')}`);
      assert.match(problems[0] ?? '', /^OIDC_CLIENT_PRIVATE_KEY: /);
      assert.match(problems[0] ?? '', expected);
      assert.ok(!(problems[0] ?? '').includes(String(ecJwk.d)) && !(problems[0] ?? '').includes('MII'));
    }
    const twice = problemsOf({ ...REAL, OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [ecJwk, ecJwk] }) });
    assert.deepEqual(twice, ['OIDC_CLIENT_PRIVATE_KEY: the same key is given twice']);
    const second = problemsOf({
      ...REAL,
      OIDC_CLIENT_PRIVATE_KEY: JSON.stringify({ keys: [ecJwk, ec.publicKey.export({ format: 'jwk' })] }),
    });
    assert.match(second[0] ?? '', /key 2 is a public key/);
  });

  it('lists every mismatch between the method, the key and a secret in one error', () => {
    const problems = problemsOf({
      ...REAL,
      OIDC_CLIENT_SECRET: 'a-secret-that-is-not-used-here',
      OIDC_CLIENT_PRIVATE_KEY: rsaPem,
      OIDC_CLIENT_PRIVATE_KEY_FILE: '/run/secrets/key.pem',
      M2M_CLIENT_ID: 'reports',
      M2M_CLIENT_SECRET: 'another-secret',
      M2M_AUTH_METHOD: 'private_key_jwt',
    });
    assert.deepEqual(problems, [
      'OIDC_CLIENT_SECRET: not used with OIDC_AUTH_METHOD=private_key_jwt; remove it',
      'M2M_CLIENT_SECRET: not used with M2M_AUTH_METHOD=private_key_jwt; remove it',
      'OIDC_CLIENT_PRIVATE_KEY and OIDC_CLIENT_PRIVATE_KEY_FILE: set one of them, not both',
    ]);
    assert.ok(!problems.join().includes('a-secret-that-is-not-used-here'));

    assert.deepEqual(problemsOf(REAL), [
      'OIDC_CLIENT_PRIVATE_KEY or OIDC_CLIENT_PRIVATE_KEY_FILE: required with OIDC_AUTH_METHOD=private_key_jwt (npm run keys makes one)',
    ]);
    assert.deepEqual(
      problemsOf({
        ...REAL,
        OIDC_AUTH_METHOD: 'client_secret_basic',
        OIDC_CLIENT_SECRET: 's',
        OIDC_CLIENT_PRIVATE_KEY: rsaPem,
      }),
      [
        'OIDC_CLIENT_PRIVATE_KEY: set, but neither OIDC_AUTH_METHOD nor M2M_AUTH_METHOD is private_key_jwt (choose private_key_jwt, or remove the key)',
      ],
    );
  });

  it('the M2M client alone may sign: the user login keeps its secret', () => {
    const config = loadConfig({
      ...REAL,
      OIDC_AUTH_METHOD: 'client_secret_post',
      OIDC_CLIENT_SECRET: 'web-secret',
      M2M_CLIENT_ID: 'reports',
      M2M_AUTH_METHOD: 'private_key_jwt',
      OIDC_CLIENT_PRIVATE_KEY: JSON.stringify(ecJwk),
    });
    assert.equal(config.oidc.clientSecret, 'web-secret');
    assert.equal(config.m2m?.authMethod, 'private_key_jwt');
    assert.equal(config.m2m?.clientSecret, undefined);
    assert.equal(config.clientKeys?.keys.length, 1);
  });

  it('demo mode makes a key for the process when none is configured; secret methods need none', () => {
    const demo = loadConfig({ NODE_ENV: 'test', OIDC_AUTH_METHOD: 'private_key_jwt' });
    assert.equal(demo.clientKeys?.ephemeral, true);
    assert.equal(demo.clientKeys?.keys[0]?.alg, 'ES256');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).clientKeys, null);
  });

  it('npm run keys prints a private key this configuration accepts and the public JWK it publishes', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'scripts/keys.ts',
      '--alg',
      'PS256',
    ]);
    const privateKey = /^ {2}OIDC_CLIENT_PRIVATE_KEY='(.+)'$/m.exec(stdout)?.[1] ?? '';
    const config = loadConfig({ ...REAL, OIDC_CLIENT_PRIVATE_KEY: privateKey });
    const keys = await importClientKeys(config.clientKeys!);
    assert.equal(keys.signingAlg, 'PS256');
    const printed = JSON.parse(/^\{\n {2}"keys"[\s\S]+?^\}$/m.exec(stdout)?.[0] ?? '{}') as { keys: unknown[] };
    assert.deepEqual(
      printed.keys,
      [...keys.jwks.keys].map((key) => JSON.parse(JSON.stringify(key)) as unknown),
    );
    assert.match(stdout, /-----BEGIN PUBLIC KEY-----/);
  });

  it('npm run keys speaks Japanese under a Japanese locale, and prints the same usable key', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], {
        env: { ...process.env, LC_ALL: '', LC_MESSAGES: '', LANG: 'ja_JP.UTF-8' },
      });
    const { stdout } = await run(['--alg', 'ES256']);
    assert.match(stdout, /^秘密鍵：秘密にしておいてください/m);
    assert.match(stdout, /^同じ公開鍵のPEM形式（Auth0はこの形式を求めます）：$/m);
    assert.match(stdout, /^ローテーション：新しい鍵をJWK Setの2番目に入れ（\{"keys":\[<current>,<new>\]\}）/m);
    const privateKey = /^ {2}OIDC_CLIENT_PRIVATE_KEY='(.+)'$/m.exec(stdout)?.[1] ?? '';
    assert.equal(loadConfig({ ...REAL, OIDC_CLIENT_PRIVATE_KEY: privateKey }).clientKeys?.keys[0]?.alg, 'ES256');
    await assert.rejects(run(['--alg', 'HS256']), (err: { stderr: string }) => {
      assert.match(err.stderr, /--algには次のいずれかを指定してください：RS256, PS256, ES256/);
      return true;
    });
  });
});

/** The demo API's DPoP proof check (RFC 9449 §4.3), one rule at a time, with proofs made by jose. */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { DPoPProofChecker, DPoPProofRejected } from '../../../src/demo/api/dpop.js';

const TOKEN = 'an-access-token';
const TARGET = { method: 'GET', url: new URL('http://127.0.0.1:3002/appointments?limit=1') };
const ATH = createHash('sha256').update(TOKEN).digest('base64url');

const keys = await generateKeyPair('ES256', { extractable: true });
const publicJwk = await exportJWK(keys.publicKey);
const JKT = await calculateJwkThumbprint(publicJwk);

interface ProofOptions {
  readonly claims?: JWTPayload;
  readonly header?: Record<string, unknown>;
}

function proof({ claims = {}, header = {} }: ProofOptions = {}): Promise<string> {
  return new SignJWT({ htm: 'GET', htu: 'http://127.0.0.1:3002/appointments', ath: ATH, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk, ...header })
    .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : undefined)
    .setJti(typeof claims.jti === 'string' ? claims.jti : randomUUID())
    .sign(keys.privateKey);
}

async function refusal(checker: DPoPProofChecker, value: string | string[] | undefined): Promise<string> {
  try {
    await checker.check(value, TARGET, TOKEN, JKT);
  } catch (err) {
    assert.ok(err instanceof DPoPProofRejected);
    return `${err.error}: ${err.description}`;
  }
  return 'accepted';
}

describe('DPoPProofChecker (RFC 9449 §4.3)', () => {
  it('accepts a proof of this request, ignoring the query in htu, once', async () => {
    const checker = new DPoPProofChecker();
    const good = await proof({ claims: { htu: 'http://127.0.0.1:3002/appointments?other=query#frag' } });
    assert.equal(await refusal(checker, good), 'accepted');
    assert.match(await refusal(checker, good), /^invalid_dpop_proof: .*already used/);
  });

  it('refuses every broken rule with invalid_dpop_proof', async () => {
    const checker = new DPoPProofChecker();
    const now = Math.floor(Date.now() / 1000);
    const { privateKey: otherPrivate, publicKey: otherPublic } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk: JWK = await exportJWK(keys.privateKey);
    const cases: Array<[string, string | string[] | undefined]> = [
      ['no proof', undefined],
      ['two proofs', [await proof(), await proof()]],
      ['not a JWS', 'not.a-jws'],
      ['typ JWT', await proof({ header: { typ: 'JWT' } })],
      ['htm', await proof({ claims: { htm: 'POST' } })],
      ['htu path', await proof({ claims: { htu: 'http://127.0.0.1:3002/contacts' } })],
      ['htu origin', await proof({ claims: { htu: 'http://localhost:3002/appointments' } })],
      ['iat old', await proof({ claims: { iat: now - 300 } })],
      ['iat future', await proof({ claims: { iat: now + 300 } })],
      ['short jti', await proof({ claims: { jti: 'x' } })],
      ['ath', await proof({ claims: { ath: 'A'.repeat(43) } })],
      ['no ath', await proof({ claims: { ath: undefined } })],
      // After the proofs above verified, the key is cached: the header is still checked on every proof.
      ['private key in header', await proof({ header: { jwk: privateJwk } })],
      ['key marked for encryption', await proof({ header: { jwk: { ...publicJwk, use: 'enc' } } })],
      ['key marked for another alg', await proof({ header: { jwk: { ...publicJwk, alg: 'ES384' } } })],
      // Signed with one key, naming another: the signature does not verify.
      ['wrong embedded key', await proof({ header: { jwk: await exportJWK(otherPublic) } })],
      [
        'another key (cnf.jkt)',
        await new SignJWT({ htm: 'GET', htu: 'http://127.0.0.1:3002/appointments', ath: ATH })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(otherPublic) })
          .setIssuedAt()
          .setJti(randomUUID())
          .sign(otherPrivate),
      ],
    ];
    for (const [what, value] of cases) {
      assert.match(await refusal(checker, value), /^invalid_dpop_proof: /, what);
    }
  });

  it('refuses alg none and HMAC proofs', async () => {
    const checker = new DPoPProofChecker();
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      htm: 'GET',
      htu: 'http://127.0.0.1:3002/appointments',
      ath: ATH,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
    };
    const unsigned = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: publicJwk })}.${encode(claims)}.`;
    assert.match(await refusal(checker, unsigned), /^invalid_dpop_proof: /);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: publicJwk })
      .sign(new Uint8Array(32));
    assert.match(await refusal(checker, hmac), /^invalid_dpop_proof: /);
  });

  it('with nonces demanded: use_dpop_nonce until the proof carries the current nonce', async () => {
    const checker = new DPoPProofChecker({ requireNonce: true });
    const nonce = checker.nonce();
    assert.equal(typeof nonce, 'string');
    assert.match(await refusal(checker, await proof()), /^use_dpop_nonce: /);
    assert.match(await refusal(checker, await proof({ claims: { nonce: 'made-up' } })), /^use_dpop_nonce: /);
    assert.equal(await refusal(checker, await proof({ claims: { nonce } })), 'accepted');
    assert.equal(new DPoPProofChecker().nonce(), undefined, 'no nonce handed out when none is demanded');
  });
});

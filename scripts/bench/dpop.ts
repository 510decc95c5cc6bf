/**
 * What a DPoP proof costs in isolation (bench only), in this process while nothing else of the
 * benchmark runs: signing one proof with a login's imported key, the way the proxy does per call
 * (src/dpop/dpop-key.ts, node:crypto), and the same proof made with jose's SignJWT for
 * comparison; and importing a key from its stored record (what an instance does once per login,
 * then keeps the key object).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { DPoPKeys } from '../../src/dpop/dpop-key.js';

export interface DPoPCosts {
  /** CPU µs to sign one proof with a key already imported (the app's way). */
  readonly proofUs: number;
  /** The same proof with jose's SignJWT and a WebCrypto key. */
  readonly joseProofUs: number;
  /** CPU µs to import a login's key from its JWK record. */
  readonly importUs: number;
}

const PROOFS = 3_000;
const IMPORTS = 300;
const TOKEN = 'x'.repeat(900);
const HTU = 'http://127.0.0.1:3002/me';

async function cpuMicrosPer(count: number, work: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

export async function measureDPoPCosts(): Promise<DPoPCosts> {
  const key = await new DPoPKeys().create();
  const { d: _private, ...publicJwk } = key.record.jwk;
  const webCryptoKey = await importJWK(key.record.jwk, 'ES256');
  const joseProof = () =>
    new SignJWT({ htm: 'GET', htu: HTU, ath: 'x'.repeat(43) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(webCryptoKey);
  const appProof = () => key.proof('GET', HTU, TOKEN);
  await cpuMicrosPer(300, appProof);
  await cpuMicrosPer(300, joseProof);
  // Alternating halves, so a neighbour's load spike hits both alike.
  let proofUs = 0;
  let joseProofUs = 0;
  for (let round = 0; round < 2; round += 1) {
    proofUs += (await cpuMicrosPer(PROOFS / 2, appProof)) / 2;
    joseProofUs += (await cpuMicrosPer(PROOFS / 2, joseProof)) / 2;
  }
  // A fresh cache per import: every load is a real import.
  const importUs = await cpuMicrosPer(IMPORTS, () => new DPoPKeys().load(key.record));
  return { proofUs, joseProofUs, importUs };
}

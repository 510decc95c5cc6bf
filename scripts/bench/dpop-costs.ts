/**
 * What the app's DPoP work per proxied call costs in isolation (bench only), measured in this
 * process (C) while nothing else of the benchmark runs, and what each of the app's choices buys:
 *
 * - the whole per-call credential step for a DPoP-bound token against a bearer token
 *   (`UpstreamCredentials.apply`, src/proxy/credentials.ts): the app's added work per call;
 * - one proof signed the app's way (src/dpop/dpop-key.ts: node:crypto with a kept key object,
 *   header and `ath` encoded once per key and token) against jose's SignJWT through WebCrypto;
 * - importing a login's key from its stored record (done once per login and instance, then kept);
 * - what the kept header and `ath` save per proof (encoding the header and hashing the token
 *   again), and what the proxy's cache of mapped targets and `htu` saves (mapping the path and
 *   building the URL again).
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import { DPoPKeys } from '../../src/dpop/dpop-key.js';
import { mapApiTarget } from '../../src/proxy/api-target.js';
import { proofTarget, UpstreamCredentials } from '../../src/proxy/credentials.js';

export interface DPoPCosts {
  /** CPU µs the credential step adds for a DPoP-bound token over a bearer token (proof included). */
  readonly applyAddedUs: number;
  /** CPU µs to sign one proof with a key already imported (the app's way). */
  readonly proofUs: number;
  /** The same proof with jose's SignJWT and a WebCrypto key. */
  readonly joseProofUs: number;
  /** CPU µs to import a login's key from its JWK record. */
  readonly importUs: number;
  /** CPU µs per proof that encoding the header and hashing the token again would add. */
  readonly reencodeUs: number;
  /** CPU µs per call that mapping the path and building `htu` again would add. */
  readonly targetUs: number;
}

const CALLS = 3_000;
const IMPORTS = 300;
const TOKEN = 'x'.repeat(900);
const BASE = new URL('http://127.0.0.1:3002/');
const HTU = 'http://127.0.0.1:3002/me';

async function cpuMicrosPer(count: number, work: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/** Each piece of work warmed up, then measured in two alternating halves (a load spike hits all alike). */
async function alternating(works: ReadonlyArray<() => unknown>, count = CALLS): Promise<number[]> {
  for (const work of works) await cpuMicrosPer(300, work);
  const totals = works.map(() => 0);
  for (let round = 0; round < 2; round += 1) {
    for (const [i, work] of works.entries()) totals[i] = (totals[i] ?? 0) + (await cpuMicrosPer(count / 2, work)) / 2;
  }
  return totals;
}

export async function measureDPoPCosts(): Promise<DPoPCosts> {
  const keys = new DPoPKeys();
  const key = await keys.create();
  const { d: _private, ...publicJwk } = key.record.jwk;
  const webCryptoKey = await importJWK(key.record.jwk, 'ES256');
  const credentials = new UpstreamCredentials(keys);
  const dpopToken = { accessToken: TOKEN, tokenType: 'dpop', dpopKey: key.record };
  const bearerToken = { accessToken: TOKEN, tokenType: 'bearer' };
  const [dpopApply, bearerApply, proofUs, joseProofUs] = await alternating([
    () => credentials.apply({}, dpopToken, 'GET', HTU, BASE.origin),
    () => credentials.apply({}, bearerToken, 'GET', HTU, BASE.origin),
    () => key.proof('GET', HTU, TOKEN),
    () =>
      new SignJWT({ htm: 'GET', htu: HTU, ath: 'x'.repeat(43) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })
        .setIssuedAt()
        .setJti(randomUUID())
        .sign(webCryptoKey),
  ]);
  const [reencodeUs, targetUs] = await alternating(
    [
      () => {
        Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk })).toString('base64url');
        createHash('sha256').update(TOKEN).digest('base64url');
      },
      () => proofTarget(mapApiTarget('/api/me', BASE)),
    ],
    CALLS * 10,
  );
  // A fresh cache per import: every load is a real import.
  const importUs = await cpuMicrosPer(IMPORTS, () => new DPoPKeys().load(key.record));
  return {
    applyAddedUs: (dpopApply ?? 0) - (bearerApply ?? 0),
    proofUs: proofUs ?? 0,
    joseProofUs: joseProofUs ?? 0,
    importUs,
    reencodeUs: reencodeUs ?? 0,
    targetUs: targetUs ?? 0,
  };
}

/**
 * The demo provider's signing keys, generated once per test process and shared by the providers a
 * test file starts. Generating an RSA key is most of what starting a provider costs, and nothing in
 * these tests depends on two providers holding different keys: a test about keys (the rotation
 * drill) passes its own `signingKeys`, and the profile tests still let the provider generate them.
 */
import type { JWK } from 'jose';
import { generateSigningKeys } from '../../src/demo/identity-provider/index.js';
import type { IdTokenAlg } from '../../src/demo/identity-provider/profiles/index.js';

const generated = new Map<string, Promise<JWK[]>>();

/** The keys `createDemoProvider` would generate for a profile with these ID-token algorithms. */
export function sharedSigningKeys(idTokenAlgs: readonly IdTokenAlg[]): Promise<JWK[]> {
  const key = [...idTokenAlgs].sort().join(',');
  let keys = generated.get(key);
  if (!keys) {
    keys = generateSigningKeys(idTokenAlgs);
    generated.set(key, keys);
  }
  return keys;
}

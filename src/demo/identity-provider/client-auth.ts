/**
 * Holding each client to the one token endpoint authentication method it registered.
 *
 * Why a patch: oidc-provider 9 accepts `client_secret_post` from a client registered for
 * `client_secret_basic` and vice versa (it treats the two as one family of secret-based methods),
 * and has no option to be strict. A client registers exactly one `token_endpoint_auth_method`
 * (RFC 7591 §2), and a real provider may insist on it, so the demo does too: a BFF configured
 * with the wrong method must fail here rather than in production. `compareClientSecret` is the
 * one call both methods share, so that is where the check goes.
 */
import Provider, { errors, type Client } from 'oidc-provider';

export function enforceRegisteredSecretMethod(provider: Provider): void {
  // provider.Client is a class created for this provider instance; other providers are unaffected.
  const prototype = provider.Client.prototype;
  const compareClientSecret = prototype.compareClientSecret;
  prototype.compareClientSecret = function compareWithRegisteredMethod(this: Client, actual: string) {
    // client_auth.js reads a secret from the body first, then from the Basic Authorization header.
    const used =
      Provider.ctx?.oidc.params?.['client_secret'] !== undefined ? 'client_secret_post' : 'client_secret_basic';
    if (this.clientAuthMethod !== used) {
      throw new errors.InvalidClientAuth(
        `client is registered for ${this.clientAuthMethod ?? 'another method'}, not ${used}`,
      );
    }
    return compareClientSecret.call(this, actual);
  };
}

/**
 * Where the demo API, run on its own, learns the issuer string to expect in `iss` and where the
 * provider's signing keys are.
 */

export interface TokenIssuer {
  /** Exactly as the provider writes it in `iss` (Auth0's ends with a slash; others do not). */
  readonly issuer: string;
  readonly jwksUri: URL;
}

/**
 * Reads the provider's discovery document (OIDC Discovery 1.0 §4: under the issuer, without its
 * trailing slash). The `issuer` it names is taken verbatim: tokens carry that exact string in `iss`
 * (§4.3, OIDC Core §3.1.3.7 item 2), so trimming a slash here would refuse every Auth0 token.
 */
export async function discoverTokenIssuer(configured: URL, timeoutMs = 10_000): Promise<TokenIssuer> {
  const base = configured.href.replace(/\/$/, '');
  const res = await fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`discovery at ${base} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // §4.3: the document must be about the issuer we asked for (a slash at the end aside, as URL adds one).
  if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/$/, '') !== base) {
    throw new Error(`discovery at ${base} names another issuer`);
  }
  if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery at ${base} publishes no jwks_uri`);
  return { issuer: doc.issuer, jwksUri: new URL(doc.jwks_uri) };
}

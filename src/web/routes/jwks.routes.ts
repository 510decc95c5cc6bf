/**
 * GET /.well-known/jwks.json: the public halves of the app's `private_key_jwt` keys (RFC 7517 §5),
 * for a provider registered with this URL as the client's `jwks_uri` (RFC 7591 §2). Keycloak,
 * Okta and oidc-provider (Logto) can fetch keys this way; Auth0 takes an uploaded public key.
 *
 * - Every configured key is listed, the signing key first: a provider learns a new key here
 *   before the app signs with it, and still knows the old one while it is being retired.
 * - Public members only, built from an allow-list (src/oidc/client-keys.ts): never `d`.
 * - Cacheable for five minutes: providers cache client keys anyway, and the rotation steps in the
 *   README wait longer than this between publishing a key and signing with it.
 * - Not there (404) unless a client authenticates with `private_key_jwt`.
 * Mounted before the session middleware: a provider's fetch never creates a session.
 */
import { Router } from 'express';
import type { AppDeps } from '../../services.js';
import { CLIENT_JWKS_PATH } from '../../oidc/client-keys.js';

export const JWKS_MAX_AGE_SECONDS = 300;

export function jwksRoutes({ clientKeys }: Pick<AppDeps, 'clientKeys'>): Router {
  const router = Router();
  if (!clientKeys) return router;
  // Serialised once: the keys do not change while the process runs.
  const body = JSON.stringify(clientKeys.jwks);
  router.get(CLIENT_JWKS_PATH, (_req, res) => {
    res.setHeader('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    // application/json rather than RFC 7517's application/jwk-set+json: what every provider's fetch accepts.
    res.type('application/json').send(body);
  });
  return router;
}

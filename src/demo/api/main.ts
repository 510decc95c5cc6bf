/**
 * `npm run demo:api`: the demo API on its own, for studying token validation
 * or pointing it at a real provider. It validates tokens from the configured
 * issuer (the embedded provider in demo mode, else OIDC_ISSUER) for the
 * configured audience (OIDC_AUDIENCE / OIDC_RESOURCE, else the demo API's),
 * and listens on DEMO_API_PORT (or API_BASE_URL's port).
 */
import { createListeningServer } from '../../http-server.js';
import { DEMO_API_AUDIENCE } from '../../config/config.js';
import { readConfigOrExit } from '../../config/read-config.js';
import { createLogger } from '../../logger.js';
import { createDemoApi } from './app.js';
import { discoverTokenIssuer } from './discover-issuer.js';

const config = readConfigOrExit();
const logger = createLogger(config.logLevel);
// Discovery gives the exact issuer string and key location. When the provider is not up yet, the API
// still starts, assuming the embedded provider's layout (issuer without a trailing slash, keys at /jwks);
// jose fetches the keys only when the first token arrives.
const { issuer, jwksUri } = await discoverTokenIssuer(config.oidc.issuer).catch((err: unknown) => {
  const base = config.oidc.issuer.href.replace(/\/$/, '');
  logger.warn(
    { err: String(err), issuer: base },
    'provider discovery failed: assuming the embedded provider layout (issuer without a trailing slash, keys at /jwks)',
  );
  return { issuer: base, jwksUri: new URL(`${base}/jwks`) };
});
const audience = config.oidc.audience ?? config.oidc.resource ?? DEMO_API_AUDIENCE;
const port = config.demo?.apiPort ?? Number(config.api.baseUrl.port || 3002);

const api = createDemoApi({
  issuer,
  audience,
  jwksUri,
  onError: (err) => logger.error({ err: String(err) }, 'demo API error'),
});
await createListeningServer(port, '127.0.0.1', api);
logger.info({ port, issuer, audience, jwksUri: jwksUri.href }, 'demo API listening');
console.log(`\n  Demo API on http://127.0.0.1:${port}/ (tokens from ${issuer}, audience ${audience})\n`);

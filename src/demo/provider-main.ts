/**
 * `npm run demo:provider`: the embedded identity provider and the demo API on
 * their own, without the app. Point an app at them as at any real provider
 * (this is how CI checks a production build: `npm run start:prod` with
 * `OIDC_ISSUER` set, against this process). Reads the same variables as demo
 * mode: PORT (the app's, for the registered redirect URI) or BASE_URL,
 * DEMO_PROVIDER_PORT, DEMO_API_PORT and the demo token lifetimes.
 */
import { createServer } from 'node:http';
import { closeServer, listen } from '../http-server.js';
import { DEMO_CLIENT } from '../config/config.js';
import { readConfigOrExit } from '../config/read-config.js';
import { createLogger } from '../logger.js';
import { attachDemoServices } from './start-demo.js';

const config = readConfigOrExit();
if (!config.demo) {
  console.error('demo:provider runs the embedded provider: unset OIDC_ISSUER (it is the provider itself).');
  process.exit(1);
}
const logger = createLogger(config.logLevel);
// Handlers first, then listen: a request that arrives while the provider is still being set up
// is refused rather than left hanging.
const provider = { server: createServer() };
const api = { server: createServer() };
const demo = await attachDemoServices(config, { providerServer: provider.server, apiServer: api.server });
await listen(provider.server, config.demo.providerPort, '127.0.0.1');
await listen(api.server, config.demo.apiPort, '127.0.0.1');
logger.info(
  { issuer: config.oidc.issuer.href, api: config.api.baseUrl.href },
  'demo identity provider and API started',
);

// What an app at BASE_URL needs to use this provider as a real one (the demo client's
// credentials are public: they are valid only here).
// With private_key_jwt the provider fetches the app's public keys from BASE_URL/.well-known/jwks.json,
// so the app needs a key of its own (npm run keys), not a secret.
const signs = config.oidc.authMethod === 'private_key_jwt';
const appEnvironment = {
  // Exactly as in the discovery document (some profiles end it with a slash).
  OIDC_ISSUER: demo.issuer,
  OIDC_CLIENT_ID: DEMO_CLIENT.clientId,
  ...(signs
    ? { OIDC_CLIENT_PRIVATE_KEY_FILE: '<a key file from npm run keys -- --out FILE>' }
    : { OIDC_CLIENT_SECRET: DEMO_CLIENT.clientSecret }),
  OIDC_AUTH_METHOD: config.oidc.authMethod,
  ...(config.oidc.audience ? { OIDC_AUDIENCE: config.oidc.audience } : {}),
  ...(config.oidc.resource ? { OIDC_RESOURCE: config.oidc.resource } : {}),
  OIDC_SCOPE: config.oidc.scope,
  OIDC_PROMPT: 'consent',
  API_BASE_URL: config.api.baseUrl.href,
};
console.log(
  `\n  Demo provider and API for an app at ${config.baseUrl.href}; give the app:\n` +
    Object.entries(appEnvironment)
      .map(([name, value]) => `    ${name}='${value}'`)
      .join('\n') +
    '\n',
);

const shutdown = async () => {
  await closeServer(provider.server, 2_000);
  await closeServer(api.server, 2_000);
  logger.flush();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

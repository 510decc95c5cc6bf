/**
 * The server itself: (demo provider and API) → app → listen, after server.ts
 * has read the configuration and started tracing.
 * Graceful shutdown on SIGTERM/SIGINT: not ready, stop accepting, finish
 * in-flight requests (10 s at most), close stores, flush traces, exit 0.
 */
import { createApp } from './web/app.js';
import type { Config } from './config/config.js';
import { closeServer, createListeningServer } from './http-server.js';
import { createLogger } from './logger.js';
import { startMetricsServer } from './observability/metrics-server.js';
import { createServices } from './services.js';

/** `stopTracing` flushes the spans still buffered; it runs last at shutdown. */
export async function startServer(config: Config, stopTracing?: () => Promise<void>): Promise<void> {
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const closers: Array<() => Promise<void>> = [];

  if (config.demo) {
    // Imported only in demo mode: oidc-provider is a development dependency, absent from a
    // production install (`npm ci --omit=dev`), and production refuses demo mode anyway.
    const { attachDemoServices } = await import('./demo/start-demo.js');
    const provider = await createListeningServer(config.demo.providerPort, '127.0.0.1');
    const api = await createListeningServer(config.demo.apiPort, '127.0.0.1');
    await attachDemoServices(config, { providerServer: provider.server, apiServer: api.server });
    closers.push(
      () => closeServer(provider.server, 2_000),
      () => closeServer(api.server, 2_000),
    );
    logger.info(
      { issuer: config.oidc.issuer.href, api: config.api.baseUrl.href },
      'demo identity provider and API started',
    );
  }
  if (config.session.ephemeralSecret) {
    logger.warn('SESSION_SECRET is not set: using a random secret, so sessions end when the process restarts');
  }
  if (config.clientKeys?.ephemeral) {
    logger.info(
      'demo: private_key_jwt with a key made for this process; the demo provider fetches its public half from /.well-known/jwks.json',
    );
  }
  if (config.session.redisUrl && config.session.ephemeralTokenKey) {
    logger.warn(
      'TOKEN_ENCRYPTION_KEY is not set: tokens in Redis are encrypted with a random key, so logins end when the process restarts',
    );
  }

  const services = await createServices(config, logger);
  void services.provider.start();
  const app = createApp(services);
  const { server } = await createListeningServer(config.port, config.listenHost, app);
  logger.info({ url: config.baseUrl.href }, 'app listening');
  if (config.metrics) {
    const metrics = await startMetricsServer(config.metrics.port, config.metrics.host);
    closers.push(() => closeServer(metrics.server, 1_000));
    logger.info({ host: config.metrics.host, port: metrics.port }, 'metrics listening on /metrics');
  }
  if (config.demo) {
    // A human-friendly line next to the JSON logs: where to go and how to log in.
    const { DEMO_ACCOUNTS } = await import('./demo/demo-accounts.js');
    const accounts = DEMO_ACCOUNTS.map((a) => `${a.login} / ${a.password}`).join(', ');
    console.log(`\n  Open ${config.baseUrl.href} and log in with a demo account (${accounts}).\n`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    services.lifecycle.shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await closeServer(server, 10_000);
    for (const close of closers) await close();
    await services.close();
    await stopTracing?.().catch(() => undefined);
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

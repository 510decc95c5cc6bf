/**
 * Process entry: configuration → tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set) → the server (start-server.ts). The app's modules are imported only
 * after tracing has started: its instrumentations patch node:http, express and
 * undici as they load.
 */
import { readConfigOrExit } from './config/read-config.js';

const config = readConfigOrExit();
try {
  const stopTracing = config.tracing
    ? await (await import('./observability/tracing.js')).startTracing(config.tracing)
    : undefined;
  const { startServer } = await import('./start-server.js');
  await startServer(config, stopTracing);
} catch (err) {
  console.error('Failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
}

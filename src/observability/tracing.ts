/**
 * OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: the
 * official Node SDK with the HTTP, Express and undici instrumentations, spans
 * exported over OTLP/HTTP. The undici instrumentation puts a W3C `traceparent`
 * on every outgoing call (https://www.w3.org/TR/trace-context/), so the API's
 * own spans join the browser request's trace.
 *
 * Rules enforced here:
 * - Started before the app's modules load (server.ts imports them afterwards):
 *   the instrumentations patch node:http, express and undici as they load, and
 *   ESM imports need the loader hook registered first
 *   (https://github.com/open-telemetry/opentelemetry-js/blob/main/doc/esm-support.md).
 * - No secret in a span: no headers are recorded (no cookies, no Authorization),
 *   and every URL attribute loses its query, which on /callback holds the
 *   authorization code and state (RFC 6749 §4.1.2).
 * - The packages are imported only when tracing is on.
 */
import { register } from 'node:module';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/config.js';

/** Span attributes that may hold a URL or its query (stable and older HTTP semantic conventions). */
const URL_ATTRIBUTES = ['url.full', 'url.query', 'http.url', 'http.target', 'url.original'];

/**
 * Drops the query from URL attributes while the span can still change
 * (`onEnding`), before any exporter sees it. Hand-written: the HTTP
 * instrumentation only redacts a list of named parameters, and we want no
 * query at all.
 */
class QueryScrubber implements SpanProcessor {
  onStart(): void {}
  onEnding(span: Span): void {
    for (const name of URL_ATTRIBUTES) {
      const value = span.attributes[name];
      if (typeof value !== 'string') continue;
      if (name === 'url.query') span.setAttribute(name, '');
      else if (value.includes('?')) span.setAttribute(name, value.slice(0, value.indexOf('?')));
    }
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Starts tracing; resolves to a function that flushes and stops it (call it at shutdown). */
export async function startTracing(config: TracingConfig): Promise<() => Promise<void>> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK }, { OTLPTraceExporter }, { BatchSpanProcessor }, http, express, undici] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: [
      new QueryScrubber(),
      // OTLP/HTTP: POST <endpoint>/v1/traces (OTLP specification, "OTLP/HTTP").
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint.href.replace(/\/+$/, '')}/v1/traces` })),
    ],
    instrumentations: [
      new http.HttpInstrumentation(),
      new express.ExpressInstrumentation(),
      new undici.UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}

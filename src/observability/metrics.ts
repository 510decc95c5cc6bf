/**
 * What the token machinery is doing, as Prometheus metrics (prom-client).
 *
 * One process-wide registry, like prom-client's own default: the modules that
 * see an event count it with one line (`metrics.loginsStarted.inc()`), whether
 * or not anyone scrapes. Only `METRICS_PORT` exposes them, on a listener of its
 * own (metrics-server.ts), never on the app's public port.
 *
 * Labels are low-cardinality by construction: error codes, reasons, outcomes,
 * HTTP methods and status classes. Never a path, a user, a session or a client.
 * Names follow https://prometheus.io/docs/practices/naming/ (unit suffixes,
 * `_total` on counters).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AppError, LoginRequiredError, ProviderUnavailableError } from '../errors.js';

const PREFIX = 'oidc_bff_';

export const registry = new Registry();

/** Set by the store that can count logged-in sessions cheaply (the in-memory one). */
let sessionCount: (() => number) | undefined;

export const metrics = {
  loginsStarted: new Counter({
    name: `${PREFIX}logins_started_total`,
    help: 'Logins started: redirects to the provider from /login.',
    registers: [registry],
  }),
  loginsCompleted: new Counter({
    name: `${PREFIX}logins_completed_total`,
    help: 'Logins completed: a callback that ended with tokens stored and a new session.',
    registers: [registry],
  }),
  loginsFailed: new Counter({
    name: `${PREFIX}logins_failed_total`,
    help: 'Callbacks that failed, by the error code shown to the visitor.',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  refreshGrants: new Counter({
    name: `${PREFIX}refresh_grants_total`,
    help: 'Refresh token grants sent to the provider, by why (expiring, rejected_by_api, manual) and how they ended.',
    labelNames: ['reason', 'outcome'] as const,
    registers: [registry],
  }),
  refreshWaits: new Counter({
    name: `${PREFIX}refresh_waits_total`,
    help: 'Callers that waited for a refresh already under way: in this process (single_flight) or on another instance (cluster_lock).',
    labelNames: ['on'] as const,
    registers: [registry],
  }),
  m2mCache: new Counter({
    name: `${PREFIX}m2m_cache_lookups_total`,
    help: 'Machine-to-machine token lookups: hit (a cached token outside its renewal margin) or miss.',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  m2mTokenRequests: new Counter({
    name: `${PREFIX}m2m_token_requests_total`,
    help: 'Client credentials grants sent to the provider.',
    registers: [registry],
  }),
  proxiedRequests: new Counter({
    name: `${PREFIX}api_proxied_requests_total`,
    help: 'API answers passed on to the browser through /api, by method and status class.',
    labelNames: ['method', 'status_class'] as const,
    registers: [registry],
  }),
  proxyFailures: new Counter({
    name: `${PREFIX}api_proxy_failures_total`,
    help: 'Proxied calls the gateway answered itself because the API could not be reached or timed out, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  }),
  upstreamDuration: new Histogram({
    name: `${PREFIX}api_upstream_duration_seconds`,
    help: 'From the proxy taking a call to the head of the API answer (includes a token refresh when one was due).',
    labelNames: ['method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  redisErrors: new Counter({
    name: `${PREFIX}redis_errors_total`,
    help: 'Redis failures: errors the client reports on its connection (kind=connection) and commands sent that failed or timed out (kind=command; while disconnected commands fail at once, uncounted).',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  redisReconnects: new Counter({
    name: `${PREFIX}redis_reconnects_total`,
    help: 'Redis connections restored after being lost.',
    registers: [registry],
  }),
  activeSessions: new Gauge({
    name: `${PREFIX}active_sessions`,
    help: 'Logged-in sessions held by this instance (in-memory stores only: Redis cannot count them cheaply).',
    registers: [registry],
    collect() {
      if (sessionCount) this.set(sessionCount());
    },
  }),
};

let processMetrics = false;

/** Adds prom-client's default process metrics (CPU, memory, event loop lag, handles), once. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
}

/** Counts a failed callback by the code its error page shows. */
export function recordLoginFailure(err: unknown): void {
  metrics.loginsFailed.inc({ code: err instanceof AppError ? err.code : 'internal_error' });
}

/** The outcome label of a refresh grant that failed (tokens/token-service.ts classifies the error). */
export function refreshOutcome(err: AppError): string {
  if (err instanceof LoginRequiredError) return 'invalid_grant';
  if (err instanceof ProviderUnavailableError) return 'provider_unavailable';
  return 'refused';
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Counts one API answer passed on and how long the API took to start it. */
export function recordProxied(method: string | undefined, status: number, seconds: number): void {
  const label = method && METHODS.has(method) ? method : 'other';
  metrics.proxiedRequests.inc({ method: label, status_class: `${Math.floor(status / 100)}xx` });
  metrics.upstreamDuration.observe({ method: label }, seconds);
}

/** Reports the number of logged-in sessions at scrape time, from a store that knows it. */
export function countSessionsWith(size: () => number): void {
  sessionCount = size;
}

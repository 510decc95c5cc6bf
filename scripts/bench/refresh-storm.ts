/**
 * Part 2 of the report (bench only): CONNECTIONS connections on ONE session
 * with STORM_TTL_S-second access tokens for STORM_S seconds. Right is exactly
 * one refresh grant per expiry at the provider, no failed call, and a session
 * that still works afterwards, on one instance or several sharing Redis.
 */
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { refreshMarginMs } from '../../src/tokens/refresh-margin.js';
import { log } from './format.js';
import { load } from './load.js';
import { apiHeaders, login, statusOf } from './login.js';
import { CONNECTIONS, STORM_S } from './options.js';
import type { AppInstance, Run } from './stack.js';

export interface StormResult {
  readonly label: string;
  readonly instances: number;
  readonly seconds: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly refreshGrants: number;
  readonly refreshGrantErrors: number;
  readonly grantErrorCodes: Record<string, number>;
  /** Refresh grants sent, as counted by the instances' TokenService. */
  readonly appRefreshCount: number;
  /** New token versions stored during the storm (one per successful refresh). */
  readonly versionsAdvanced: number;
  readonly expected: number;
  readonly afterStatuses: readonly number[];
  readonly ok: boolean;
}

type TokenInfo = { expiresAt: number; lifetimeSeconds: number; version: number } | null;
type Stats = {
  grants: Record<string, number>;
  grantErrors: Record<string, number>;
  grantErrorsByCode: Record<string, number>;
};

/** The storm on `instances` (connections spread over them, one cookie). */
export async function storm(label: string, run: Run, instances: readonly AppInstance[]): Promise<StormResult> {
  const first = instances[0] as AppInstance;
  const session = await login(run, first, DEMO_ACCOUNTS[0] as DemoAccount);
  const headers = apiHeaders(session);
  for (const instance of instances) {
    const status = await statusOf(`${instance.origin}/api/me`, headers);
    if (status !== 200) throw new Error(`${label}: the new session does not work on ${instance.name} (${status})`);
  }
  await run.demo.call('resetStats');
  const refreshCounts = () => Promise.all(instances.map((instance) => instance.child.call<number>('refreshCount')));
  const counts0 = await refreshCounts();
  const info0 = await first.child.call<TokenInfo>('tokenInfo', session.sid);
  if (!info0) throw new Error(`${label}: no tokens for the session`);

  log(
    `${label}: ${CONNECTIONS} connections on ONE session for ${STORM_S} s over ${instances.length} instance(s), ${info0.lifetimeSeconds} s tokens`,
  );
  const t0 = Date.now();
  const result = await load(
    instances.map((instance) => `${instance.loadOrigin}/api/me`),
    headers,
    STORM_S,
  );
  const t1 = Date.now();

  const stats = await run.demo.call<Stats>('stats');
  const counts1 = await refreshCounts();
  const info1 = await first.child.call<TokenInfo>('tokenInfo', session.sid);
  const afterStatuses = await Promise.all(instances.map((instance) => statusOf(`${instance.origin}/api/me`, headers)));

  // Refresh k happens when the token is within the margin of its expiry (the
  // app's own rule): the first one at expiresAt − margin, then one every
  // (lifetime − margin) seconds.
  const marginMs = refreshMarginMs(info0.lifetimeSeconds, 'user');
  const periodMs = info0.lifetimeSeconds * 1000 - marginMs;
  const firstDue = Math.max(info0.expiresAt - marginMs, t0);
  const expected = firstDue > t1 ? 0 : Math.floor((t1 - firstDue) / periodMs) + 1;

  const refreshGrants = stats.grants['refresh_token'] ?? 0;
  const refreshGrantErrors = stats.grantErrors['refresh_token'] ?? 0;
  const versionsAdvanced = info1 ? info1.version - info0.version : -1;
  const non2xx = result.non2xx;
  const errors = result.errors + result.timeouts;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  return {
    label,
    instances: instances.length,
    seconds: (t1 - t0) / 1000,
    requests: result.requests.total,
    non2xx,
    errors,
    statusCodes,
    refreshGrants,
    refreshGrantErrors,
    grantErrorCodes: stats.grantErrorsByCode,
    appRefreshCount: sum(counts1) - sum(counts0),
    versionsAdvanced,
    expected,
    afterStatuses,
    ok:
      refreshGrantErrors === 0 &&
      refreshGrants === versionsAdvanced &&
      Math.abs(refreshGrants - expected) <= 1 &&
      non2xx === 0 &&
      errors === 0 &&
      afterStatuses.every((status) => status === 200),
  };
}

/** Counting what happens at the provider, from oidc-provider's events, for the tests to read. */
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

import type { DemoProviderStats } from './options.js';

export function emptyStats(): DemoProviderStats {
  return {
    grants: {},
    grantErrors: {},
    grantsByClient: {},
    grantErrorsByCode: {},
    revocations: 0,
    logins: 0,
    failedLogins: 0,
    consentsAllowed: 0,
    consentsDenied: 0,
  };
}

/** Sets every counter back to zero, keeping the same objects so references stay valid. */
export function resetStats(stats: DemoProviderStats): void {
  Object.assign(stats, { ...emptyStats(), ...pick(stats) });
  for (const record of [stats.grants, stats.grantErrors, stats.grantsByClient, stats.grantErrorsByCode]) {
    for (const key of Object.keys(record)) delete record[key];
  }
}

function pick(stats: DemoProviderStats) {
  const { grants, grantErrors, grantsByClient, grantErrorsByCode } = stats;
  return { grants, grantErrors, grantsByClient, grantErrorsByCode };
}

export function countProviderEvents(provider: Provider, stats: DemoProviderStats): void {
  provider.on('grant.success', (ctx) => {
    const grantType = grantTypeOf(ctx);
    increment(stats.grants, grantType);
    const clientId = ctx.oidc.client?.clientId;
    if (clientId) increment((stats.grantsByClient[clientId] ??= {}), grantType);
  });
  provider.on('grant.error', (ctx, err) => {
    increment(stats.grantErrors, grantTypeOf(ctx));
    increment(stats.grantErrorsByCode, err.error ?? 'server_error');
  });
  // oidc-provider 9 emits no "revocation.success"; a token destroyed while the revocation
  // endpoint runs (found through the request's AsyncLocalStorage context) is a revocation.
  const countRevocation = (): void => {
    if (Provider.ctx?.oidc.route === 'revocation') stats.revocations += 1;
  };
  provider.on('access_token.destroyed', countRevocation);
  provider.on('refresh_token.destroyed', countRevocation);
  provider.on('client_credentials.destroyed', countRevocation);
}

function grantTypeOf(ctx: KoaContextWithOIDC): string {
  const value = ctx.oidc.params?.['grant_type'];
  return typeof value === 'string' ? value : 'unknown';
}

function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

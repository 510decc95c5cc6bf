/** Counting what happens at the provider, from oidc-provider's events, for the tests to read. */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

import type { ClientAuthenticationRecord, DemoProviderStats } from './options.js';

/** Back-channel requests kept in `clientAuthentications`. */
const MAX_CLIENT_AUTHENTICATIONS = 100;
const BACK_CHANNEL_ROUTES = new Set(['token', 'revocation', 'pushed_authorization_request', 'introspection']);

export function emptyStats(): DemoProviderStats {
  return {
    grants: {},
    grantErrors: {},
    grantsByClient: {},
    grantErrorsByCode: {},
    clientAuthentications: [],
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
  stats.clientAuthentications.length = 0;
}

function pick(stats: DemoProviderStats) {
  const { grants, grantErrors, grantsByClient, grantErrorsByCode, clientAuthentications } = stats;
  return { grants, grantErrors, grantsByClient, grantErrorsByCode, clientAuthentications };
}

/**
 * Records how each back-channel request authenticated. A Koa middleware, not an event: oidc-provider
 * emits no event for a successful revocation or client authentication. Must be installed before
 * `provider.callback()` composes the middleware.
 */
export function recordClientAuthentications(provider: Provider, stats: DemoProviderStats): void {
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (!route || !BACK_CHANNEL_ROUTES.has(route)) return;
    const body = (ctx.oidc.body ?? {}) as Record<string, unknown>;
    const text = (name: string): string | undefined => (typeof body[name] === 'string' ? body[name] : undefined);
    const assertion = text('client_assertion');
    const basic = /^basic /i.test(ctx.get('authorization'));
    const record: ClientAuthenticationRecord = {
      route,
      grantType: text('grant_type'),
      clientId: ctx.oidc.client?.clientId,
      sent: assertion
        ? 'client_assertion'
        : body['client_secret'] !== undefined
          ? 'client_secret_post'
          : basic
            ? 'client_secret_basic'
            : 'none',
      assertionType: text('client_assertion_type'),
      assertion: assertion ? decodeAssertion(assertion) : undefined,
      secretSent: body['client_secret'] !== undefined || basic,
      status: ctx.status,
    };
    stats.clientAuthentications.push(record);
    if (stats.clientAuthentications.length > MAX_CLIENT_AUTHENTICATIONS) stats.clientAuthentications.shift();
  });
}

function decodeAssertion(jwt: string): ClientAuthenticationRecord['assertion'] {
  try {
    return { header: { ...decodeProtectedHeader(jwt) }, claims: { ...decodeJwt(jwt) } };
  } catch {
    return { header: {}, claims: {} };
  }
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

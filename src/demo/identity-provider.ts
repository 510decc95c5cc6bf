/**
 * Embedded demo identity provider (OpenID Provider + OAuth 2.0 authorization server).
 *
 * A local stand-in for Auth0 / Keycloak / Logto so that `npm run demo` and the integration tests
 * need no external account. It wraps `oidc-provider` 9 with:
 *
 * - our own login / consent / logout / error pages (views/provider/*.ejs) instead of the built-in
 *   `devInteractions`, listing the public demo accounts from `demo-accounts.ts`;
 * - PKCE (S256) required for every client, even confidential ones (RFC 9700 §2.1.1);
 * - refresh tokens only with `offline_access` (OIDC Core §11), rotated on every use so that
 *   replaying a consumed one fails and revokes the grant (RFC 9700 §4.14.2);
 * - RFC 8707 resource indicators, also reachable through Auth0's `audience` parameter, issuing
 *   JWT access tokens (RFC 9068) whose `aud` is the demo API;
 * - client credentials for machine-to-machine clients (RFC 6749 §4.4);
 * - token revocation (RFC 7009) and RP-initiated logout (OIDC RP-Initiated Logout 1.0).
 *
 * Everything (keys, cookie keys, tokens, sessions) lives in this process only. Never deploy it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import express, { type NextFunction, type Request, type Response } from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, {
  errors,
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  type Client,
  type Configuration,
  type Interaction,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';

import { DEMO_ACCOUNTS, findDemoAccountByLogin, findDemoAccountBySub, type DemoAccount } from './demo-accounts.js';

/** A client registered with the demo provider. */
export interface DemoClient {
  clientId: string;
  clientSecret: string;
  /**
   * The only token endpoint authentication method the provider accepts from this client
   * (RFC 6749 §2.3.1): `client_secret_basic` (HTTP Basic) or `client_secret_post` (form body).
   */
  authMethod: 'client_secret_basic' | 'client_secret_post';
  /** Human-readable name shown on the consent and logout pages (defaults to the client id). */
  clientName?: string;
}

/** Options of {@link createDemoProvider}. */
export interface DemoProviderOptions {
  /** Issuer identifier, e.g. `http://127.0.0.1:4001` (no trailing slash); served at this origin's root. */
  issuer: string;
  /** Base URL of the BFF app: redirect URI `${appBaseUrl}/callback`, post-logout URI `${appBaseUrl}/`. */
  appBaseUrl: string;
  /** The BFF: a confidential client with `authorization_code` + `refresh_token`, response type `code`. */
  webClient: DemoClient;
  /** Machine-to-machine clients (`client_credentials` only); `scope` lists the API scopes each may get. */
  m2mClients: Array<DemoClient & { scope: string }>;
  /** The demo API (resource server): its audience and the scopes users and M2M clients may receive. */
  api: { audience: string; userScopes: string[]; m2mScopes: string[] };
  /** Lifetime of user access tokens, in seconds (demo ~120, tests 2–5). */
  accessTokenTtlSeconds: number;
  /** Lifetime of client-credentials access tokens, in seconds (default 600). */
  clientCredentialsTtlSeconds?: number;
  /** Absolute path of the app's `public/styles.css`, served by the provider at `/static/styles.css`. */
  stylesheetPath: string;
}

/** Counters the tests read to assert what happened at the provider. Mutated in place. */
export interface DemoProviderStats {
  /** Successful token endpoint requests by `grant_type` (e.g. `grants.refresh_token`). */
  grants: Record<string, number>;
  /** Failed token endpoint requests by `grant_type` (`unknown` when none was sent). */
  grantErrors: Record<string, number>;
  /** Successful token endpoint requests by client id, then by `grant_type`. */
  grantsByClient: Record<string, Record<string, number>>;
  /** Failed token endpoint requests by OAuth error code (e.g. `grantErrorsByCode.invalid_grant`). */
  grantErrorsByCode: Record<string, number>;
  /** Tokens destroyed through the revocation endpoint (RFC 7009). */
  revocations: number;
  /** Successful and failed submissions of the login form. */
  logins: number;
  failedLogins: number;
  /** Consent decisions. */
  consentsAllowed: number;
  consentsDenied: number;
}

/** A running demo provider; the caller owns the HTTP server. */
export interface DemoProvider {
  /** The issuer identifier, as given. */
  issuer: string;
  /** Request listener for `http.createServer(handler)` or `server.on('request', handler)`. */
  handler: RequestListener;
  /** Live counters (see {@link DemoProviderStats}). */
  stats: DemoProviderStats;
  /** Sets every counter back to zero (same object, so references stay valid). */
  resetStats(): void;
  /** The underlying oidc-provider instance, for tests that need to reach behind the HTTP API. */
  provider: Provider;
}

const AUTHORIZATION_CODE_TTL = 60;
const ID_TOKEN_TTL = 60 * 60;
const INTERACTION_TTL = 60 * 60;
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;
const DEFAULT_CLIENT_CREDENTIALS_TTL = 600;

/** OIDC scopes and the claims each releases (OIDC Core §5.4). */
const CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  email: ['email', 'email_verified'],
};

const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are',
  profile: 'Your name and user name',
  email: 'Your e-mail address',
  offline_access: 'Stay connected while you are away (a refresh token)',
  'read:appointments': 'Read your appointments',
  'write:appointments': 'Create and change your appointments',
  'read:contacts': 'Read your contacts',
  'read:reports': 'Read reports',
};

const IDENTITY_SCOPES = new Set(['openid', ...Object.keys(CLAIMS), 'offline_access']);

const WRONG_CREDENTIALS = 'Wrong username or password.';
const DENIED_DESCRIPTION = 'The user denied the request.';

/**
 * Creates the demo identity provider. The caller listens:
 * `http.createServer(provider.handler).listen(port, '127.0.0.1')`.
 *
 * Signing keys (RS256 for ID tokens, ES256 for JWT access tokens) and cookie keys are generated
 * per call, so tokens and sessions never survive a restart.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
 */
export async function createDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const settings = validateOptions(options);
  const { issuer, appBaseUrl, api, webClient } = settings;
  const appOrigin = new URL(appBaseUrl).origin;
  const issuerOrigin = new URL(issuer).origin;

  const m2mScopesByClient = new Map(
    settings.m2mClients.map((client) => [
      client.clientId,
      // A client never gets more than the API offers to M2M callers, whatever it was registered with.
      client.scope
        .split(' ')
        .filter((scope) => api.m2mScopes.includes(scope))
        .join(' '),
    ]),
  );

  const stats = emptyStats();
  const pages = new PageRenderer(resolveViewsDir(), appOrigin);

  const configuration: Configuration = {
    adapter: createMemoryAdapterFactory(),
    clients: [
      {
        client_id: webClient.clientId,
        client_secret: webClient.clientSecret,
        client_name: webClient.clientName ?? webClient.clientId,
        token_endpoint_auth_method: webClient.authMethod,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appBaseUrl}/callback`],
        post_logout_redirect_uris: [`${appBaseUrl}/`],
      },
      ...settings.m2mClients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_name: client.clientName ?? client.clientId,
        token_endpoint_auth_method: client.authMethod,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      })),
    ],
    jwks: { keys: await generateSigningKeys() },
    cookies: {
      // Signs the interaction/session cookies; random per process (cookies die with the process).
      keys: [randomBytes(32).toString('base64url')],
      // SameSite=Lax keeps the interaction cookie off cross-site POSTs: login CSRF protection.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: CLAIMS,
    // OIDC Core §5.4: with response_type=code, scope-requested claims belong to UserInfo. When the
    // access token is for the API (so useless at UserInfo), oidc-provider puts them in the ID token.
    conformIdTokenClaims: true,
    // Auth0-compatible authorization request parameters; `audience` maps to RFC 8707 `resource`.
    extraParams: ['audience', 'organization', 'invitation'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Only the BFF's server talks to the token endpoint: no browser CORS access to anything.
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may revoke only the tokens issued to it.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          const { action, hidden } = parseProviderForm(form);
          const account = ctx.oidc.session?.accountId ? findDemoAccountBySub(ctx.oidc.session.accountId) : undefined;
          await pages.renderToKoa(ctx, 200, 'logout', {
            title: 'Sign out',
            action,
            hidden,
            clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '',
            accountName: account?.name ?? '',
          });
        },
        postLogoutSuccessSource: async (ctx) => {
          await pages.renderToKoa(ctx, 200, 'logged-out', {
            title: 'Signed out',
            clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? '',
            appUrl: `${appBaseUrl}/`,
          });
        },
      },
      resourceIndicators: {
        enabled: true,
        // Called when a request names no `resource` (RFC 8707 §2), or with the candidates when a
        // token request must pick one: map Auth0's `audience` onto it.
        defaultResource: (ctx, _client, oneOf) => {
          if (oneOf) {
            return oneOf.includes(api.audience) ? api.audience : oneOf;
          }
          const audience = requestedAudience(ctx);
          if (audience !== undefined) return audience;
          // An M2M token is only good for the API, so that is the default target for the grant.
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials') {
            return api.audience;
          }
          // A user login without a target gets an opaque access token for UserInfo only.
          return undefined;
        },
        getResourceServerInfo: (ctx, resourceIndicator, client): ResourceServer => {
          if (resourceIndicator !== api.audience) {
            throw new errors.InvalidTarget('unknown resource indicator');
          }
          const audience = requestedAudience(ctx);
          if (audience !== undefined && audience !== resourceIndicator) {
            throw new errors.InvalidTarget('audience and resource must name the same API');
          }
          // Users and M2M clients get disjoint scope sets, so neither can mint the other's.
          const m2mScope = m2mScopesByClient.get(client.clientId);
          if (m2mScope !== undefined) {
            return apiResourceServer(m2mScope, settings.clientCredentialsTtlSeconds);
          }
          if (client.clientId === webClient.clientId) {
            return apiResourceServer(api.userScopes.join(' '), settings.accessTokenTtlSeconds);
          }
          throw new errors.InvalidTarget('this client may not access the API');
        },
        // `resource` is optional at the token endpoint (RFC 8707 §2.2): the code exchange and
        // refreshes get a token for the API granted at /authorize without repeating it.
        useGrantedResource: () => true,
      },
    },
    findAccount: (_ctx, sub) => {
      const account = findDemoAccountBySub(sub);
      if (!account) return undefined;
      return { accountId: account.sub, claims: () => accountClaims(account) };
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // OIDC Core §11: a refresh token only for clients allowed to refresh that asked for offline_access.
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Rotate on every use (RFC 9700 §4.14.2): a replayed refresh token fails and revokes the grant.
    rotateRefreshToken: true,
    renderError: async (ctx, out) => {
      const status = ctx.status >= 400 ? ctx.status : 400;
      await pages.renderToKoa(ctx, status, 'error', errorPageLocals(out.error, out.error_description, appBaseUrl));
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.accessTokenTtlSeconds,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? settings.clientCredentialsTtlSeconds,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: ID_TOKEN_TTL,
      Interaction: INTERACTION_TTL,
      RefreshToken: FOURTEEN_DAYS,
      Session: FOURTEEN_DAYS,
      Grant: FOURTEEN_DAYS,
    },
  };

  function apiResourceServer(scope: string, accessTokenTTL: number): ResourceServer {
    return {
      scope,
      audience: api.audience,
      accessTokenFormat: 'jwt',
      accessTokenTTL,
      jwt: { sign: { alg: 'ES256' } },
    };
  }

  const provider = new Provider(issuer, configuration);
  // The provider is reached directly over loopback: never trust X-Forwarded-* headers.
  provider.proxy = false;
  enforceRegisteredSecretMethod(provider);

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

  const app = express();
  app.disable('x-powered-by');

  app.get('/static/styles.css', (_req, res) => {
    res.sendFile(settings.stylesheetPath, { headers: { 'Cache-Control': 'no-cache' } }, (err) => {
      if (err && !res.headersSent) res.status(404).type('text/plain').send('Not found');
    });
  });

  app.use(
    '/interaction',
    interactionRoutes({ provider, pages, stats, issuerOrigin, api, webClientId: webClient.clientId }),
  );
  app.use(provider.callback());
  app.use(errorHandler(pages, appBaseUrl));

  return {
    issuer,
    handler: (req, res) => {
      app(req, res);
    },
    stats,
    resetStats: () => {
      Object.assign(stats, emptyStats());
      for (const record of [stats.grants, stats.grantErrors, stats.grantsByClient, stats.grantErrorsByCode]) {
        for (const key of Object.keys(record)) delete record[key];
      }
    },
    provider,
  };
}

interface InteractionDeps {
  provider: Provider;
  pages: PageRenderer;
  stats: DemoProviderStats;
  issuerOrigin: string;
  api: DemoProviderOptions['api'];
  webClientId: string;
}

/**
 * Login and consent pages. CSRF protection: oidc-provider binds each interaction to a signed,
 * HttpOnly, SameSite=Lax `_interaction` cookie scoped to `/interaction/<uid>`; a cross-site form
 * never carries it, and we also require the URL uid to match the cookie's interaction and refuse
 * a foreign `Origin` header.
 */
function interactionRoutes(deps: InteractionDeps): express.Router {
  const { provider, pages, stats, issuerOrigin, api, webClientId } = deps;
  const router = express.Router();
  const parseForm = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  router.use((_req, res, next) => {
    // Pages carry a one-time interaction; never let a cache or the back button replay them.
    res.set('Cache-Control', 'no-store');
    next();
  });

  const sameOrigin = (req: Request, _res: Response, next: NextFunction): void => {
    const origin = req.get('origin');
    if (origin !== undefined && origin !== issuerOrigin) {
      next(
        new HttpError(
          403,
          'cross_origin_post',
          'This form can only be submitted from the identity provider’s own pages.',
        ),
      );
      return;
    }
    next();
  };

  async function load(req: Request, res: Response): Promise<Interaction> {
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.uid !== req.params['uid']) {
      throw new errors.SessionNotFound('interaction uid does not match the interaction cookie');
    }
    return interaction;
  }

  async function clientNameOf(interaction: Interaction): Promise<string> {
    const clientId = stringParam(interaction.params['client_id']) ?? '';
    const client = await provider.Client.find(clientId);
    return client?.clientName ?? clientId;
  }

  async function renderLogin(
    res: Response,
    interaction: Interaction,
    status: number,
    login = '',
    errorMessage = '',
  ): Promise<void> {
    await pages.renderToExpress(res, status, 'login', {
      title: 'Sign in',
      action: `/interaction/${interaction.uid}/login`,
      clientName: await clientNameOf(interaction),
      accounts: DEMO_ACCOUNTS,
      login,
      errorMessage,
    });
  }

  router.get('/:uid', async (req, res) => {
    const interaction = await load(req, res);
    switch (interaction.prompt.name) {
      case 'login':
        await renderLogin(res, interaction, 200);
        return;
      case 'consent': {
        const { params } = interaction;
        const requested = (stringParam(params['scope']) ?? '').split(' ').filter(Boolean);
        const audience = stringParam(params['resource']) ?? stringParam(params['audience']) ?? '';
        const apiScopes = stringParam(params['client_id']) === webClientId ? api.userScopes : [];
        const account = interaction.session ? findDemoAccountBySub(interaction.session.accountId) : undefined;
        await pages.renderToExpress(res, 200, 'consent', {
          title: 'Allow access?',
          action: `/interaction/${interaction.uid}/confirm`,
          clientName: await clientNameOf(interaction),
          accountName: account?.name ?? '',
          identityScopes: describeScopes(requested.filter((scope) => IDENTITY_SCOPES.has(scope))),
          audience: audience === api.audience ? audience : '',
          apiScopes:
            audience === api.audience ? describeScopes(requested.filter((scope) => apiScopes.includes(scope))) : [],
        });
        return;
      }
      default:
        throw new HttpError(400, 'unsupported_interaction', `Unsupported interaction "${interaction.prompt.name}".`);
    }
  });

  router.post('/:uid/login', sameOrigin, parseForm, async (req, res) => {
    const interaction = await load(req, res);
    if (interaction.prompt.name !== 'login') {
      throw new HttpError(400, 'invalid_request', 'This sign-in step is already complete.');
    }
    const login = formField(req.body, 'login') ?? '';
    const password = formField(req.body, 'password') ?? '';
    const account = verifyCredentials(login, password);
    if (!account) {
      stats.failedLogins += 1;
      // RFC 9110 §15.5.2 asks for WWW-Authenticate with 401, but this is an HTML form, not an
      // HTTP authentication scheme; the status still tells scripts and tests the login failed.
      await renderLogin(res, interaction, 401, login, WRONG_CREDENTIALS);
      return;
    }
    stats.logins += 1;
    await provider.interactionFinished(
      req,
      res,
      // RFC 8176 §2: "pwd" = password-based authentication.
      { login: { accountId: account.sub, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  });

  router.post('/:uid/confirm', sameOrigin, parseForm, async (req, res) => {
    const interaction = await load(req, res);
    if (interaction.prompt.name !== 'consent') {
      throw new HttpError(400, 'invalid_request', 'There is nothing to consent to in this step.');
    }
    const decision = formField(req.body, 'decision');
    if (decision === 'deny') {
      stats.consentsDenied += 1;
      // RFC 6749 §4.1.2.1: the client receives error=access_denied on its redirect URI.
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: DENIED_DESCRIPTION },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (decision !== 'allow') {
      throw new HttpError(400, 'invalid_request', 'Choose Allow or Deny.');
    }
    const accountId = interaction.session?.accountId;
    const clientId = stringParam(interaction.params['client_id']);
    if (!accountId || !clientId) {
      throw new errors.SessionNotFound('interaction has no signed-in account');
    }

    // Add exactly what the consent prompt found missing to the (new or existing) grant.
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) {
      throw new errors.SessionNotFound('grant not found');
    }
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    stats.consentsAllowed += 1;

    await provider.interactionFinished(
      req,
      res,
      { consent: interaction.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  });

  return router;
}

/** Renders the provider's ejs pages, with headers that suit a page holding a login form. */
class PageRenderer {
  readonly #viewsDir: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(viewsDir: string, appOrigin: string) {
    this.#viewsDir = viewsDir;
    this.#headers = {
      // No scripts at all; forms may only post here, and the redirect chain that follows a
      // login/consent/logout form ends at the app (CSP3 form-action applies to redirects).
      'Content-Security-Policy': [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        `form-action 'self' ${appOrigin}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      // Keeps the interaction URL from leaking to the app while still sending Origin on our own POSTs.
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
  }

  render(view: string, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(join(this.#viewsDir, `${view}.ejs`), locals);
  }

  async renderToExpress(res: Response, status: number, view: string, locals: Record<string, unknown>): Promise<void> {
    const html = await this.render(view, locals);
    res.status(status).set(this.#headers).type('html').send(html);
  }

  async renderToKoa(
    ctx: KoaContextWithOIDC,
    status: number,
    view: string,
    locals: Record<string, unknown>,
  ): Promise<void> {
    const html = await this.render(view, locals);
    ctx.status = status;
    ctx.set(this.#headers);
    ctx.type = 'html';
    ctx.body = html;
  }
}

/**
 * oidc-provider 9 accepts `client_secret_post` from a client registered for
 * `client_secret_basic` and vice versa (lib/shared/client_auth.js treats them as one family).
 * A client registers exactly one `token_endpoint_auth_method` (RFC 7591 §2), and a real
 * provider may insist on it, so the demo does too: a BFF configured with the wrong method must
 * fail here rather than in production. `compareClientSecret` is the one call both methods share.
 */
function enforceRegisteredSecretMethod(provider: Provider): void {
  // provider.Client is a class created for this provider instance; other providers are unaffected.
  const prototype = provider.Client.prototype;
  const compareClientSecret = prototype.compareClientSecret;
  prototype.compareClientSecret = function compareWithRegisteredMethod(this: Client, actual: string) {
    // client_auth.js reads a secret from the body first, then from the Basic Authorization header.
    const used =
      Provider.ctx?.oidc.params?.['client_secret'] !== undefined ? 'client_secret_post' : 'client_secret_basic';
    if (this.clientAuthMethod !== used) {
      throw new errors.InvalidClientAuth(
        `client is registered for ${this.clientAuthMethod ?? 'another method'}, not ${used}`,
      );
    }
    return compareClientSecret.call(this, actual);
  };
}

/** An error with a status and a message that is safe to show. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly publicMessage: string,
  ) {
    super(publicMessage);
    this.name = 'HttpError';
  }
}

/** Last handler of the provider's Express app: errors from our interaction routes only. */
function errorHandler(pages: PageRenderer, appBaseUrl: string) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const { status, code, description } = describeError(err);
    if (status >= 500) {
      // A bug, not a user mistake: say so on stderr (without request data, which may hold secrets).
      console.error('demo identity provider: unexpected error', err instanceof Error ? err.message : err);
    }
    pages.renderToExpress(res, status, 'error', errorPageLocals(code, description, appBaseUrl)).catch(() => {
      if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error');
    });
  };
}

function describeError(err: unknown): { status: number; code: string; description: string } {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, description: err.publicMessage };
  }
  if (err instanceof errors.SessionNotFound) {
    return {
      status: 400,
      code: 'session_not_found',
      description:
        'This sign-in request has expired or was opened in another browser. Go back to the app and start again.',
    };
  }
  if (err instanceof errors.OIDCProviderError && err.statusCode < 500) {
    return { status: err.statusCode, code: err.error, description: err.error_description ?? err.message };
  }
  // body-parser errors (malformed or oversized forms) carry a 4xx `status` and a safe `type`.
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
  if (status >= 400 && status < 500) {
    return { status, code: 'invalid_request', description: 'The form could not be read. Please try again.' };
  }
  return { status: 500, code: 'server_error', description: 'Something went wrong on the identity provider.' };
}

function errorPageLocals(code: string, description: string | undefined, appBaseUrl: string): Record<string, unknown> {
  return {
    title: 'Error',
    code,
    description: description ?? 'The request could not be completed.',
    appUrl: `${appBaseUrl}/`,
  };
}

/** Constant-time credential check; unknown logins cost the same as wrong passwords. */
function verifyCredentials(login: string, password: string): DemoAccount | undefined {
  const account = findDemoAccountByLogin(login);
  const expected = sha256(account?.password ?? randomBytes(16).toString('hex'));
  const matches = timingSafeEqual(sha256(password), expected);
  return account && matches ? account : undefined;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function accountClaims(account: DemoAccount): { sub: string; [claim: string]: unknown } {
  return {
    sub: account.sub,
    name: account.name,
    given_name: account.given_name,
    family_name: account.family_name,
    preferred_username: account.preferred_username,
    email: account.email,
    email_verified: account.email_verified,
  };
}

/**
 * The Auth0-style `audience` parameter: a registered extra parameter at the authorization
 * endpoint, or a raw form field at the token endpoint (oidc-provider drops unknown token
 * parameters from `ctx.oidc.params` but keeps the parsed body).
 */
function requestedAudience(ctx: KoaContextWithOIDC): string | undefined {
  const value = ctx.oidc.route === 'token' ? ctx.oidc.body?.['audience'] : ctx.oidc.params?.['audience'];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new errors.InvalidRequest('audience must be a single value');
  }
  return value;
}

function grantTypeOf(ctx: KoaContextWithOIDC): string {
  return stringParam(ctx.oidc.params?.['grant_type']) ?? 'unknown';
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function formField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return stringParam((body as Record<string, unknown>)[name]);
}

function describeScopes(scopes: string[]): Array<{ scope: string; description: string }> {
  return scopes.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] ?? scope }));
}

function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function emptyStats(): DemoProviderStats {
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

/**
 * Extracts the action and hidden inputs from the logout form oidc-provider hands to
 * `logoutSource`, so the page re-renders them with escaped output instead of pasting HTML.
 */
function parseProviderForm(form: string): { action: string; hidden: Array<{ name: string; value: string }> } {
  const action = /\baction="([^"]*)"/.exec(form)?.[1];
  if (action === undefined) {
    throw new Error('logout form without an action');
  }
  const hidden = [...form.matchAll(/<input\b[^>]*>/g)].flatMap(([tag]) => {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '';
    return /\btype="hidden"/.test(tag) && name ? [{ name: decodeEntities(name), value: decodeEntities(value) }] : [];
  });
  return { action: decodeEntities(action), hidden };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** RS256 for ID tokens (OIDC Core §15.1 mandatory-to-implement) and ES256 for JWT access tokens. */
async function generateSigningKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  return keys;
}

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * A per-provider in-memory store. oidc-provider's own MemoryAdapter works too but is shared and
 * announces itself on stderr for every provider instance; this one is private to one provider,
 * honours expiry and is bounded so anonymous traffic cannot grow it without limit.
 */
function createMemoryAdapterFactory(maxEntries = 10_000): AdapterFactory {
  const entries = new Map<string, StoredEntry>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grantMembers = new Map<string, Set<string>>();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  const prune = (): void => {
    if (entries.size < maxEntries) return;
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) entries.delete(key);
    }
    // Still full: drop the oldest writes (Map iteration follows insertion order).
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(key);
    }
  };

  return (model: string): Adapter => {
    const keyOf = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        prune();
        const key = keyOf(id);
        entries.delete(key);
        entries.set(key, {
          payload: { ...payload },
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
        });
        if (model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
        if (payload.grantId) {
          let members = grantMembers.get(payload.grantId);
          if (!members) grantMembers.set(payload.grantId, (members = new Set()));
          members.add(key);
        }
      },
      async find(id) {
        const payload = read(keyOf(id));
        return payload ? { ...payload } : undefined;
      },
      async findByUid(uid) {
        const id = sessionUids.get(uid);
        const payload = id === undefined ? undefined : read(keyOf(id));
        return payload ? { ...payload } : undefined;
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        const payload = id === undefined ? undefined : read(keyOf(id));
        return payload ? { ...payload } : undefined;
      },
      async consume(id) {
        const payload = read(keyOf(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        const members = grantMembers.get(grantId);
        if (!members) return;
        for (const key of members) {
          if (key.startsWith(`${model}:`)) {
            entries.delete(key);
            members.delete(key);
          }
        }
        if (members.size === 0) grantMembers.delete(grantId);
      },
    };
  };
}

function validateOptions(options: DemoProviderOptions): DemoProviderOptions & { clientCredentialsTtlSeconds: number } {
  const problems: string[] = [];
  const checkUrl = (name: string, value: string): void => {
    const url = URL.parse(value);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      problems.push(`${name} must be an http(s) URL`);
    else if (value.endsWith('/')) problems.push(`${name} must not end with "/"`);
  };
  const checkTtl = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer`);
  };
  checkUrl('issuer', options.issuer);
  checkUrl('appBaseUrl', options.appBaseUrl);
  checkTtl('accessTokenTtlSeconds', options.accessTokenTtlSeconds);
  const clientCredentialsTtlSeconds = options.clientCredentialsTtlSeconds ?? DEFAULT_CLIENT_CREDENTIALS_TTL;
  checkTtl('clientCredentialsTtlSeconds', clientCredentialsTtlSeconds);
  if (!isAbsolute(options.stylesheetPath)) problems.push('stylesheetPath must be absolute');
  if (!options.api.audience) problems.push('api.audience is required');
  const overlap = options.api.userScopes.filter((scope) => options.api.m2mScopes.includes(scope));
  if (overlap.length) problems.push(`api.userScopes and api.m2mScopes must not overlap (${overlap.join(', ')})`);
  const ids = [options.webClient, ...options.m2mClients].map((client) => client.clientId);
  if (new Set(ids).size !== ids.length) problems.push('client ids must be unique');
  if (problems.length) {
    throw new TypeError(`invalid demo identity provider options: ${problems.join('; ')}`);
  }
  return { ...options, clientCredentialsTtlSeconds };
}

/** views/provider, from src/demo (tsx) or dist/src/demo (compiled). */
function resolveViewsDir(): string {
  const candidates = ['../../views/provider', '../../../views/provider'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(join(dir, 'login.ejs')));
  if (!found) {
    throw new Error(`demo identity provider views not found (looked in ${candidates.join(', ')})`);
  }
  return found;
}

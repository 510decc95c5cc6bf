/**
 * Login and consent pages (the interaction routes oidc-provider sends the browser to).
 *
 * CSRF protection: oidc-provider binds each interaction to a signed, HttpOnly, SameSite=Lax
 * `_interaction` cookie scoped to `/interaction/<uid>`; a cross-site form never carries it, and
 * we also require the URL uid to match the cookie's interaction and refuse a foreign `Origin`.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/example/routes/express.js
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import express, { type NextFunction, type Request, type Response } from 'express';
import Provider, { errors, type Interaction } from 'oidc-provider';

import { DEMO_ACCOUNTS, findDemoAccountByLogin, findDemoAccountBySub, type DemoAccount } from '../demo-accounts.js';
import { IDENTITY_SCOPES } from './configuration.js';
import { HttpError } from './errors.js';
import type { DemoProviderOptions, DemoProviderStats } from './options.js';
import { pageLanguage, type PageMessage, type PageRenderer } from './views.js';

// RFC 6749 §4.1.2.1: error_description is ASCII for developers, so it stays English in every language.
const DENIED_DESCRIPTION = 'The user denied the request.';

/** The consent page's sentence for each scope (a catalogue key cannot hold the `:` of `read:appointments`). */
const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'provider:scopes.openid',
  profile: 'provider:scopes.profile',
  email: 'provider:scopes.email',
  offline_access: 'provider:scopes.offline_access',
  'read:appointments': 'provider:scopes.read_appointments',
  'write:appointments': 'provider:scopes.write_appointments',
  'read:contacts': 'provider:scopes.read_contacts',
  'read:reports': 'provider:scopes.read_reports',
};

export interface InteractionDeps {
  provider: Provider;
  pages: PageRenderer;
  stats: DemoProviderStats;
  issuerOrigin: string;
  api: DemoProviderOptions['api'];
  webClientId: string;
}

export function interactionRoutes(deps: InteractionDeps): express.Router {
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
      next(new HttpError(403, 'cross_origin_post', 'cross_origin_post'));
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
    req: Request,
    res: Response,
    interaction: Interaction,
    status: number,
    login = '',
    errorMessage?: PageMessage,
  ): Promise<void> {
    await pages.renderToExpress(res, status, 'login', pageLanguage(req, interaction.params['ui_locales']), {
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
        await renderLogin(req, res, interaction, 200);
        return;
      case 'consent': {
        const { params } = interaction;
        const requested = (stringParam(params['scope']) ?? '').split(' ').filter(Boolean);
        const audience = stringParam(params['resource']) ?? stringParam(params['audience']) ?? '';
        const apiScopes = stringParam(params['client_id']) === webClientId ? api.userScopes : [];
        const account = interaction.session ? findDemoAccountBySub(interaction.session.accountId) : undefined;
        await pages.renderToExpress(res, 200, 'consent', pageLanguage(req, params['ui_locales']), {
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
        throw new HttpError(400, 'unsupported_interaction', 'unsupported_interaction', {
          name: interaction.prompt.name,
        });
    }
  });

  router.post('/:uid/login', sameOrigin, parseForm, async (req, res) => {
    const interaction = await load(req, res);
    if (interaction.prompt.name !== 'login') {
      throw new HttpError(400, 'invalid_request', 'login_step_complete');
    }
    const login = formField(req.body, 'login') ?? '';
    const password = formField(req.body, 'password') ?? '';
    const account = verifyCredentials(login, password);
    if (!account) {
      stats.failedLogins += 1;
      // RFC 9110 §15.5.2 asks for WWW-Authenticate with 401, but this is an HTML form, not an
      // HTTP authentication scheme; the status still tells scripts and tests the login failed.
      await renderLogin(req, res, interaction, 401, login, { key: 'provider:login.wrong_credentials' });
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
      throw new HttpError(400, 'invalid_request', 'nothing_to_consent');
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
      throw new HttpError(400, 'invalid_request', 'choose_allow_or_deny');
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

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function formField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return stringParam((body as Record<string, unknown>)[name]);
}

/** Each scope with the key of its sentence; a scope without one is shown by its name alone. */
function describeScopes(scopes: string[]): Array<{ scope: string; descriptionKey: string | undefined }> {
  return scopes.map((scope) => ({ scope, descriptionKey: SCOPE_DESCRIPTIONS[scope] }));
}

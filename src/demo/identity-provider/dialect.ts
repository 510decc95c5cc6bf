/**
 * The parts of a provider profile that oidc-provider has no setting for, done in front of it
 * (Express middleware on its endpoints) or around it (a Koa middleware on its discovery answer).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';

import { HttpError } from './errors.js';
import type { OrganizationLedger } from './organizations.js';
import type { DemoProviderProfile } from './profiles/index.js';

export interface DialectDeps {
  readonly profile: DemoProviderProfile;
  /** Where oidc-provider is mounted: the issuer's path without a trailing slash ('' at the root). */
  readonly mountPath: string;
  readonly organizations: OrganizationLedger;
  readonly webClientId: string;
  readonly postLogoutRedirectUri: string;
}

export function dialectRoutes(deps: DialectDeps): express.Router {
  const { profile, mountPath } = deps;
  const router = express.Router();
  router.get(`${mountPath}/auth`, (req, res, next) => rewriteAuthorizationRequest(deps, req, res, next));
  if (profile.logoutNeedsIdTokenHint) {
    router.get(`${mountPath}/session/end`, (req, _res, next) => {
      // Okta's /v1/logout identifies the session by the ID token, not by client_id.
      if (!searchParamsOf(req).get('id_token_hint')) {
        throw new HttpError(400, 'invalid_request', 'id_token_hint_required');
      }
      next();
    });
  }
  if (profile.logout === 'auth0-v2-logout') {
    // https://auth0.com/docs/api/authentication/logout/auth-0-logout : with client_id, returnTo
    // must be one of the application's allowed logout URLs.
    router.get('/v2/logout', (req, res) => {
      const params = searchParamsOf(req);
      const returnTo = params.get('returnTo');
      if (params.get('client_id') !== deps.webClientId || returnTo !== deps.postLogoutRedirectUri) {
        throw new HttpError(400, 'invalid_request', 'logout_return_not_allowed');
      }
      const endSession = new URLSearchParams({ client_id: deps.webClientId, post_logout_redirect_uri: returnTo });
      res.redirect(302, `${mountPath}/session/end?${endSession}`);
    });
  }
  return router;
}

/** Hides what the provider does not advertise (Auth0 tenants without RP-initiated logout). */
export function shapeDiscovery(provider: Provider, profile: DemoProviderProfile): void {
  if (profile.logout !== 'auth0-v2-logout') return;
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'discovery' && typeof ctx.body === 'object' && ctx.body !== null) {
      delete (ctx.body as Record<string, unknown>)['end_session_endpoint'];
    }
  });
}

/** Remembers which organization each login was for, after oidc-provider accepted the request. */
export function recordOrganizations(provider: Provider, organizations: OrganizationLedger): void {
  if (!organizations.enabled) return;
  provider.on('authorization.success', (ctx) => {
    const grantId = ctx.oidc.grant?.jti;
    const requested = ctx.oidc.params?.['organization'];
    if (grantId)
      organizations.remember(grantId, typeof requested === 'string' ? organizations.find(requested) : undefined);
  });
}

function rewriteAuthorizationRequest(deps: DialectDeps, req: Request, _res: Response, next: NextFunction): void {
  const { profile, organizations } = deps;
  const params = searchParamsOf(req);
  const scopes = new Set((params.get('scope') ?? '').split(' ').filter(Boolean));

  if (profile.offlineAccess === 'access_type') {
    // Google: https://developers.google.com/identity/protocols/oauth2/web-server#offline
    if (scopes.has('offline_access')) {
      throw new HttpError(400, 'invalid_scope', 'offline_access_invalid');
    }
    // oidc-provider only knows the scope, so access_type=offline becomes offline_access inside.
    if (params.get('access_type') === 'offline') scopes.add('offline_access');
  }
  if (scopes.has('offline_access') && !profile.offlineAccessNeedsConsent) {
    // oidc-provider drops offline_access unless consent is prompted for (OIDC Core §11); this
    // provider issues refresh tokens without that, so the demo asks for consent itself.
    const prompts = new Set((params.get('prompt') ?? '').split(' ').filter(Boolean));
    if (!prompts.has('none')) params.set('prompt', [...prompts, 'consent'].join(' '));
  }
  if (organizations.enabled) checkOrganization(organizations, params);
  if (scopes.size > 0) params.set('scope', [...scopes].join(' '));

  req.url = `${req.path}?${params}`;
  next();
}

/**
 * Auth0: an unknown organization, or an invitation without its organization, is refused.
 * @see https://auth0.com/docs/manage-users/organizations/configure-organizations/invite-members
 */
function checkOrganization(organizations: OrganizationLedger, params: URLSearchParams): void {
  const requested = params.get('organization');
  const invitation = params.get('invitation');
  if (requested === null) {
    if (invitation !== null) throw new HttpError(400, 'invalid_request', 'invitation_without_organization');
    return;
  }
  const organization = organizations.find(requested);
  if (!organization) throw new HttpError(400, 'invalid_request', 'organization_unknown');
  if (invitation !== null && !organization.invitations.includes(invitation)) {
    throw new HttpError(400, 'invalid_request', 'invitation_not_valid');
  }
}

function searchParamsOf(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://provider.invalid').searchParams;
}

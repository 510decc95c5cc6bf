/**
 * Checks on a validated ID token that depend on the provider's dialect, after openid-client has
 * checked signature, `iss`, `aud`, `exp` and `nonce`.
 *
 * - Auth0 organizations: when the login named an organization, the ID token's `org_id` (for an
 *   `org_…` id) or `org_name` (for a name, compared lower-cased) must match it, or anyone with an
 *   account in another organization could sign in:
 *   https://auth0.com/docs/manage-users/organizations/using-tokens ,
 *   https://auth0.com/docs/manage-users/organizations/configure-organizations/use-org-name-authentication-api
 * - Entra multi-tenant: a discovery document at /common or /organizations names the issuer
 *   `https://login.microsoftonline.com/{tenantid}/v2.0`, so a token from *any* tenant validates.
 *   The tenant (`tid`) must then be on OIDC_ALLOWED_TENANTS, never "any tenant" by accident:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant
 */
import { LoginError } from '../errors.js';

/** The issuer template of Entra's multi-tenant discovery documents. */
export const TENANT_TEMPLATE = '{tenantid}';

export interface IdTokenContext {
  /** The organization the login asked for, if any. */
  readonly organization: string | undefined;
  /** The issuer in the provider's discovery document (may hold the `{tenantid}` template). */
  readonly discoveredIssuer: string;
  readonly allowedTenants: readonly string[];
}

/** Returns the names of the checks that ran (for the flow inspector); throws LoginError on a mismatch. */
export function checkIdTokenContext(claims: Readonly<Record<string, unknown>>, context: IdTokenContext): string[] {
  const checks: string[] = [];
  if (context.organization) {
    checkOrganization(claims, context.organization);
    checks.push('organization');
  }
  const template = context.discoveredIssuer.includes(TENANT_TEMPLATE);
  if (template || context.allowedTenants.length > 0) {
    checkTenant(claims, context.allowedTenants, template);
    checks.push('tenant');
  }
  return checks;
}

function checkOrganization(claims: Readonly<Record<string, unknown>>, organization: string): void {
  const matches = organization.startsWith('org_')
    ? claims['org_id'] === organization
    : claims['org_name'] === organization.toLowerCase();
  if (!matches) {
    throw new LoginError('organization_mismatch', 'errors:message.organization_mismatch');
  }
}

function checkTenant(claims: Readonly<Record<string, unknown>>, allowed: readonly string[], template: boolean): void {
  if (template && allowed.length === 0) {
    throw new LoginError('tenant_not_allowed', 'errors:message.tenant_not_listed');
  }
  const tid = claims['tid'];
  if (typeof tid !== 'string' || !allowed.includes(tid)) {
    throw new LoginError('tenant_not_allowed', 'errors:message.tenant_not_allowed');
  }
}

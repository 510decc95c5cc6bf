/**
 * The start-up check: the configuration against the provider's discovery document and the
 * `OIDC_PROVIDER` preset, one plain warning per likely mistake. Nothing here stops the app; each
 * warning names what to change.
 */
import type { ServerMetadata } from 'openid-client';
import type { OidcConfig } from '../config/config.js';
import { TENANT_TEMPLATE } from './id-token-checks.js';
import { leavesForProvider } from './logout.js';

type Settings = Pick<
  OidcConfig,
  | 'provider'
  | 'authMethod'
  | 'scope'
  | 'prompt'
  | 'audience'
  | 'resource'
  | 'authorizationParams'
  | 'allowedTenants'
  | 'logout'
  | 'dpop'
> & {
  /** The `alg` of the client assertions, with `private_key_jwt`. */
  readonly signingAlg?: string | undefined;
};

export function checkProviderSetup(settings: Settings, metadata: ServerMetadata): string[] {
  const warnings: string[] = [];
  const scopes = settings.scope.split(' ');
  const offline = scopes.includes('offline_access');
  const prompts = (settings.prompt ?? '').split(' ');

  const methods = metadata.token_endpoint_auth_methods_supported;
  if (methods && !methods.includes(settings.authMethod)) {
    warnings.push(
      `OIDC_AUTH_METHOD=${settings.authMethod} is not among the provider's token_endpoint_auth_methods_supported (${methods.join(', ')}): the code exchange will fail.`,
    );
  }
  const assertionAlgs = metadata.token_endpoint_auth_signing_alg_values_supported;
  if (settings.authMethod === 'private_key_jwt' && settings.signingAlg && assertionAlgs) {
    if (!assertionAlgs.includes(settings.signingAlg)) {
      warnings.push(
        `The client key signs ${settings.signingAlg}, which is not among the provider's token_endpoint_auth_signing_alg_values_supported (${assertionAlgs.join(', ')}): every token request will fail. Use a key for one of those (npm run keys).`,
      );
    }
  }
  const supportedScopes = metadata.scopes_supported;
  if (offline && supportedScopes && !supportedScopes.includes('offline_access')) {
    warnings.push(
      'OIDC_SCOPE asks for offline_access, which the provider does not list in scopes_supported: the login may fail with invalid_scope.',
    );
  }
  if (settings.logout !== 'local' && !leavesForProvider(metadata, settings.logout)) {
    warnings.push(
      'The provider has no end_session_endpoint: logout ends only this app’s session (set OIDC_LOGOUT=local to say so).',
    );
  }
  // RFC 9449 §5.1: a provider that supports DPoP lists the proof algorithms it accepts.
  if (settings.dpop && !metadata.dpop_signing_alg_values_supported?.includes('ES256')) {
    warnings.push(
      'OIDC_DPOP=on, but the provider does not list ES256 in dpop_signing_alg_values_supported: it may ignore the proofs and issue bearer tokens, or refuse them.',
    );
  }
  if (metadata.issuer.includes(TENANT_TEMPLATE) && settings.allowedTenants.length === 0) {
    warnings.push(
      'The issuer is a multi-tenant template ({tenantid}) and OIDC_ALLOWED_TENANTS is empty: every login will be refused until you list the tenants you accept.',
    );
  }

  switch (settings.provider) {
    case 'logto':
      if (!settings.resource) {
        warnings.push(
          'Logto without OIDC_RESOURCE: access tokens will be opaque and your API will refuse them. Set OIDC_RESOURCE to the API identifier.',
        );
      }
      if (offline && !prompts.includes('consent')) {
        warnings.push(
          'Logto issues a refresh token for offline_access only with prompt=consent (or with the app’s "Always issue Refresh Token" switch): keep OIDC_PROMPT=consent.',
        );
      }
      break;
    case 'auth0':
      if (!settings.audience) {
        warnings.push(
          'Auth0 without OIDC_AUDIENCE: access tokens will be opaque, good only at /userinfo, and your API will refuse them.',
        );
      }
      break;
    case 'google':
      if (offline) {
        warnings.push(
          'Google refuses the offline_access scope (invalid_scope): remove it from OIDC_SCOPE; access_type=offline asks for a refresh token.',
        );
      }
      if (settings.authorizationParams['access_type'] !== 'offline') {
        warnings.push('Google issues a refresh token only with access_type=offline in OIDC_AUTHORIZATION_PARAMS.');
      }
      if (settings.audience || settings.resource) {
        warnings.push('Google has no custom API audience: OIDC_AUDIENCE and OIDC_RESOURCE are ignored by Google.');
      }
      break;
    case 'entra':
      if (settings.resource || settings.audience) {
        warnings.push(
          'Entra ID names the API by scope (api://<app-id>/<scope> in OIDC_SCOPE), not by OIDC_RESOURCE or OIDC_AUDIENCE.',
        );
      }
      break;
    case 'okta':
    case 'keycloak':
    case 'generic':
      break;
  }
  return warnings;
}

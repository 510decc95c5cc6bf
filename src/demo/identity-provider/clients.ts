/**
 * The clients the demo provider knows (OpenID Connect Dynamic Client Registration 1.0 §2 metadata):
 * the BFF, other web apps of the same provider, and machine-to-machine clients.
 */
import type { ClientMetadata } from 'oidc-provider';
import type { DemoClient, DemoProviderSettings } from './options.js';
import type { DemoProviderProfile } from './profiles/index.js';

export function registeredClients(
  settings: DemoProviderSettings,
  profile: DemoProviderProfile,
  /** Where the BFF takes logout tokens; undefined when the profile sends none. */
  backchannelLogoutUri: string | undefined,
): ClientMetadata[] {
  const { appBaseUrl, webClient } = settings;
  return [
    {
      client_id: webClient.clientId,
      ...clientAuthMetadata(webClient),
      client_name: webClient.clientName ?? webClient.clientId,
      id_token_signed_response_alg: profile.idTokenSigningAlgs[0],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${appBaseUrl}/callback`],
      post_logout_redirect_uris: [`${appBaseUrl}/`],
      // OpenID Connect Back-Channel Logout 1.0 §2.2: where logout tokens go, and `sid` in them
      // (and in ID tokens) so one provider session's logins can be told apart from the user's others.
      ...(backchannelLogoutUri
        ? { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
    },
    // Sign-in and RP-initiated logout only: no refresh tokens, no API scopes (interactions.ts).
    ...(settings.otherApps ?? []).map((client): ClientMetadata => ({
      client_id: client.clientId,
      ...clientAuthMetadata(client),
      client_name: client.clientName ?? client.clientId,
      id_token_signed_response_alg: profile.idTokenSigningAlgs[0],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [client.redirectUri],
      post_logout_redirect_uris: [client.postLogoutRedirectUri],
    })),
    ...settings.m2mClients.map((client): ClientMetadata => ({
      client_id: client.clientId,
      ...clientAuthMetadata(client),
      client_name: client.clientName ?? client.clientId,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    })),
  ];
}

/**
 * How a client authenticates (RFC 7591 §2): a secret, or `private_key_jwt` with the public keys
 * the provider fetches from `jwks_uri` (and fetches again, once its copy is stale, when an
 * assertion names a `kid` it does not know: that is what makes the client's key rotation work).
 */
function clientAuthMetadata(client: DemoClient): Record<string, string> {
  if (client.authMethod === 'private_key_jwt') {
    return { token_endpoint_auth_method: client.authMethod, jwks_uri: client.jwksUri ?? '' };
  }
  return { token_endpoint_auth_method: client.authMethod, client_secret: client.clientSecret ?? '' };
}

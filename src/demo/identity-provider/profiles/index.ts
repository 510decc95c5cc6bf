/** The provider profiles of the demo identity provider, one file per provider. */
import { auth0Profile } from './auth0.js';
import { entraProfile } from './entra.js';
import { googleProfile } from './google.js';
import { keycloakProfile } from './keycloak.js';
import { logtoProfile } from './logto.js';
import { oktaProfile } from './okta.js';
import type { DemoProfileName, DemoProviderProfile } from './profile.js';
import { standardProfile } from './standard.js';

export { DEMO_PROFILE_NAMES } from './profile.js';
export type {
  ApiAudienceStyle,
  DemoOrganization,
  DemoProfileName,
  DemoProviderProfile,
  IdTokenAlg,
} from './profile.js';

export const DEMO_PROVIDER_PROFILES: Readonly<Record<DemoProfileName, DemoProviderProfile>> = {
  standard: standardProfile,
  auth0: auth0Profile,
  logto: logtoProfile,
  google: googleProfile,
  entra: entraProfile,
  keycloak: keycloakProfile,
  okta: oktaProfile,
};

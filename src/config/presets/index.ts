/** The `OIDC_PROVIDER` presets, one file per provider. */
import { auth0Preset } from './auth0.js';
import { entraPreset } from './entra.js';
import { genericPreset } from './generic.js';
import { googlePreset } from './google.js';
import { keycloakPreset } from './keycloak.js';
import { logtoPreset } from './logto.js';
import { oktaPreset } from './okta.js';
import type { ProviderPreset, ProviderPresetName } from './preset.js';

export { LOGOUT_STYLES, PROVIDER_PRESET_NAMES } from './preset.js';
export type { ApiAudienceStyle, ClientAuthMethod, LogoutStyle, ProviderPreset, ProviderPresetName } from './preset.js';

export const PROVIDER_PRESETS: Readonly<Record<ProviderPresetName, ProviderPreset>> = {
  generic: genericPreset,
  auth0: auth0Preset,
  logto: logtoPreset,
  google: googlePreset,
  entra: entraPreset,
  keycloak: keycloakPreset,
  okta: oktaPreset,
};

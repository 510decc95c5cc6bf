/**
 * Demo mode: what a developer would copy from the provider's dashboard, for the embedded provider
 * playing `DEMO_PROVIDER_PROFILE`. The issuer gets the profile's path, and the API is named the way
 * that provider names it (resource, audience, prefixed scopes, or not at all).
 */
import {
  DEMO_PROVIDER_PROFILES,
  type DemoProfileName,
  type DemoProviderProfile,
} from '../demo/identity-provider/profiles/index.js';
import type { ProviderPreset, ProviderPresetName } from './presets/index.js';

export interface DemoApi {
  readonly audience: string;
  readonly userScopes: string;
}

export interface DemoAppDefaults {
  readonly issuerPath: string;
  readonly scope: string;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  readonly prompt: string | undefined;
}

export function demoProfile(name: DemoProfileName): DemoProviderProfile {
  return DEMO_PROVIDER_PROFILES[name];
}

/** The preset a profile's provider would use: `standard` is plain oidc-provider, so `generic`. */
export function presetForProfile(name: DemoProfileName): ProviderPresetName {
  return name === 'standard' ? 'generic' : name;
}

export function demoAppDefaults(profile: DemoProviderProfile, preset: ProviderPreset, api: DemoApi): DemoAppDefaults {
  const apiScopes = api.userScopes.split(' ');
  const scope = (extra: string[]): string => [preset.scope, ...extra].join(' ').trim();
  const style = profile.apiAudience;
  return {
    issuerPath: profile.issuerPath,
    scope:
      style === 'none'
        ? scope([])
        : style === 'scope-prefix'
          ? scope(apiScopes.map((s) => `${api.audience}${s}`))
          : scope(apiScopes),
    audience: style === 'audience' ? api.audience : undefined,
    resource: style === 'resource' ? api.audience : undefined,
    // Plain oidc-provider issues a refresh token only when consent was prompted for.
    prompt:
      preset.prompt ?? (profile.offlineAccessNeedsConsent && profile.offlineAccess === 'scope' ? 'consent' : undefined),
  };
}

/**
 * DEMO_CLIENT_PROFILE=fapi (demo mode only): every stronger client option at once, so `npm start`
 * shows them working against the embedded provider with no account. The client side of the
 * FAPI 2.0 Security Profile (https://openid.net/specs/fapi-security-profile-2_0.html §5.3.2):
 * pushed authorization requests, asymmetric client authentication and sender-constrained tokens.
 *
 * - OIDC_PAR=on: every login is pushed (RFC 9126).
 * - OIDC_AUTH_METHOD and M2M_AUTH_METHOD=private_key_jwt (RFC 7523 §2.2): demo mode makes a key for
 *   the process and the embedded provider registers both clients with the app's `jwks_uri`.
 * - OIDC_DPOP and M2M_DPOP=on: user and client-credentials tokens bound to DPoP keys (RFC 9449).
 *
 * A variable set explicitly keeps its value: the profile only fills in what is not set.
 */

export const DEMO_CLIENT_PROFILES = ['standard', 'fapi'] as const;

const FAPI: Readonly<Record<string, string>> = {
  OIDC_PAR: 'on',
  OIDC_AUTH_METHOD: 'private_key_jwt',
  M2M_AUTH_METHOD: 'private_key_jwt',
  OIDC_DPOP: 'on',
  M2M_DPOP: 'on',
};

/** `env` with the fapi profile's values where it sets none; unchanged outside demo mode or without the profile. */
export function withDemoClientProfile(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (env['DEMO_CLIENT_PROFILE'] !== 'fapi' || env['OIDC_ISSUER'] !== undefined) return env;
  const filled = { ...env };
  for (const [name, value] of Object.entries(FAPI)) filled[name] ??= value;
  return filled;
}

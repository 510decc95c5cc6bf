/**
 * OIDC_AUTHORIZATION_PARAMS: static extra `/authorize` parameters in query-string form
 * (`access_type=offline&hd=example.com`), laid over the preset's. Parameters the app sets itself,
 * or that have their own variable, are refused so that no setting is silently overridden.
 */
const RESERVED = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'scope', // OIDC_SCOPE
  'prompt', // OIDC_PROMPT
  'resource', // OIDC_RESOURCE
  'audience', // OIDC_AUDIENCE
  'organization', // OIDC_ORGANIZATION
  'ui_locales', // the visitor's language
  'request',
  'request_uri',
]);

/** The merged parameters, or a description of what is wrong (never the values). */
export function parseAuthorizationParams(
  raw: string | undefined,
  presetParams: Readonly<Record<string, string>>,
): Record<string, string> | string {
  const params: Record<string, string> = { ...presetParams };
  if (raw === undefined) return params;
  const parsed = new URLSearchParams(raw);
  for (const name of new Set(parsed.keys())) {
    if (RESERVED.has(name)) return `"${name}" is set by the app or by its own variable`;
    if (parsed.getAll(name).length > 1) return `"${name}" appears more than once`;
    const value = parsed.get(name) ?? '';
    if (value === '') delete params[name];
    else params[name] = value;
  }
  return params;
}

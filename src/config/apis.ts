/**
 * The downstream APIs the app fronts. The default API (`API_BASE_URL`, named for the provider by
 * `OIDC_AUDIENCE`/`OIDC_RESOURCE`) is mounted at `/api/*`; each named API at `/api/<name>/*`:
 *
 *   API_<NAME>_BASE_URL   its origin and path prefix (required)
 *   API_<NAME>_AUDIENCE   Auth0's API identifier, or
 *   API_<NAME>_RESOURCE   its RFC 8707 resource indicator (an absolute URI, RFC 8707 §2)
 *   API_<NAME>_SCOPE      the scopes its token is asked for
 *   API_<NAME>_TOKEN      whose token is sent: `user` (default), `client` (the app's
 *                         client-credentials token) or `user_or_client` (the user's when
 *                         logged in, else the app's)
 *
 * `<NAME>` is upper-case letters and digits; the path uses it in lower case. Every problem is
 * reported at once, by variable name, never with a value.
 */
import { z } from 'zod';
import { isLoopbackHost } from './loopback.js';

export const API_TOKEN_KINDS = ['user', 'client', 'user_or_client'] as const;
/** Whose access token a call to an API carries. */
export type ApiTokenKind = (typeof API_TOKEN_KINDS)[number];

/** The name of the default API (`API_BASE_URL`); no named API may take it. */
export const DEFAULT_API_NAME = 'default';

export interface DownstreamApi {
  /** `default` for `API_BASE_URL`, else the lower-case `<NAME>`. */
  readonly name: string;
  /** Where the browser calls it: `/api/` for the default API, `/api/<name>/` for a named one. */
  readonly mountPath: string;
  /** Upstream origin + path prefix, ending in `/`. */
  readonly baseUrl: URL;
  /** Auth0's `audience` (set this or `resource`, not both). */
  readonly audience: string | undefined;
  /** RFC 8707 `resource`. */
  readonly resource: string | undefined;
  /** Scopes of this API's token; for the default API they are part of `OIDC_SCOPE`. */
  readonly scope: string | undefined;
  readonly token: ApiTokenKind;
}

/** What the named APIs are checked against. */
export interface NamedApiContext {
  readonly production: boolean;
  /** Whether client-credentials tokens are configured (M2M_CLIENT_ID, or demo mode). */
  readonly clientCredentials: boolean;
  /** The default API, already resolved. */
  readonly defaultApi: DownstreamApi;
  /** First path segments the default API is known to use: a named API there would hide them. */
  readonly defaultApiPaths: readonly string[];
  /** Variables of the default API (`API_BASE_URL`, `API_TIMEOUT_MS`, …): not named APIs. */
  readonly defaultApiVariables: ReadonlySet<string>;
  /** Named APIs the app adds when their variables are not set (demo mode's management API). */
  readonly defaults?: readonly DownstreamApi[];
}

const FIELDS = ['BASE_URL', 'AUDIENCE', 'RESOURCE', 'SCOPE', 'TOKEN'] as const;
type Field = (typeof FIELDS)[number];
const NAMED_VARIABLE = new RegExp(`^API_(.+)_(${FIELDS.join('|')})$`);
const NAME = /^[A-Z][A-Z0-9]{0,31}$/;

const absoluteUrl = z.url({ protocol: /^https?$/ });
const resourceUri = z.url();

/** The named APIs of `env`, or the problems that stop them, every one of them. */
export function namedApis(
  env: Readonly<Record<string, string | undefined>>,
  context: NamedApiContext,
): { apis: DownstreamApi[]; problems: string[] } {
  const problems: string[] = [];
  const byName = new Map<string, Partial<Record<Field, string>>>();
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith('API_') || context.defaultApiVariables.has(variable)) continue;
    const match = NAMED_VARIABLE.exec(variable);
    if (!match) continue;
    const [, name = '', field] = match;
    if (!NAME.test(name)) {
      problems.push(`${variable}: an API name is an upper-case letter, then letters and digits (API_BILLING_BASE_URL)`);
      continue;
    }
    const value = raw?.trim() ?? '';
    if (value === '') continue;
    const fields = byName.get(name) ?? {};
    fields[field as Field] = value;
    byName.set(name, fields);
  }
  // A variable that looks like one of a configured API's but names no field is a typo, not someone else's.
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('API_') || NAMED_VARIABLE.test(variable)) continue;
    const name = [...byName.keys()].find((n) => variable.startsWith(`API_${n}_`));
    if (name) problems.push(`${variable}: unknown variable (an API takes ${FIELDS.map((f) => `_${f}`).join(', ')})`);
  }

  const apis: DownstreamApi[] = [];
  for (const [name, fields] of byName) {
    const api = namedApi(name, fields, context, problems);
    if (api) apis.push(api);
  }
  for (const api of context.defaults ?? []) {
    if (!byName.has(api.name.toUpperCase())) apis.push(api);
  }
  checkUserApiTargets([context.defaultApi, ...apis], problems);
  return { apis, problems };
}

function namedApi(
  name: string,
  fields: Partial<Record<Field, string>>,
  context: NamedApiContext,
  problems: string[],
): DownstreamApi | undefined {
  const at = (field: Field): string => `API_${name}_${field}`;
  const before = problems.length;
  const path = name.toLowerCase();
  if (path === DEFAULT_API_NAME) problems.push(`${at('BASE_URL')}: "${name}" is the default API's name`);
  if (context.defaultApiPaths.includes(path)) {
    problems.push(`${at('BASE_URL')}: /api/${path}/ is a path of the default API; choose another name`);
  }

  let baseUrl: URL | undefined;
  if (fields.BASE_URL === undefined)
    problems.push(`${at('BASE_URL')}: required when other API_${name}_ variables are set`);
  else if (!absoluteUrl.safeParse(fields.BASE_URL).success) problems.push(`${at('BASE_URL')}: an http(s) URL`);
  else {
    baseUrl = new URL(fields.BASE_URL);
    if (baseUrl.search || baseUrl.hash) problems.push(`${at('BASE_URL')}: must not contain a query or fragment`);
    if (context.production && baseUrl.protocol === 'http:' && !isLoopbackHost(baseUrl.hostname)) {
      problems.push(`${at('BASE_URL')}: must use https in production unless it is loopback`);
    }
    if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
  }
  if (fields.AUDIENCE && fields.RESOURCE) {
    problems.push(`${at('AUDIENCE')} and ${at('RESOURCE')}: set one of them, not both`);
  }
  if (fields.RESOURCE !== undefined && !resourceUri.safeParse(fields.RESOURCE).success) {
    problems.push(`${at('RESOURCE')}: an absolute URI (RFC 8707 §2)`);
  }
  const token = (fields.TOKEN ?? 'user') as ApiTokenKind;
  if (!API_TOKEN_KINDS.includes(token)) problems.push(`${at('TOKEN')}: one of ${API_TOKEN_KINDS.join(', ')}`);
  else if (token !== 'user' && !context.clientCredentials) {
    problems.push(`${at('TOKEN')}: ${token} needs client credentials (M2M_CLIENT_ID and M2M_CLIENT_SECRET)`);
  }
  if (problems.length > before || !baseUrl) return undefined;
  return {
    name: path,
    mountPath: `/api/${path}/`,
    baseUrl,
    audience: fields.AUDIENCE,
    resource: fields.RESOURCE,
    scope: fields.SCOPE,
    token,
  };
}

/**
 * One refresh token mints a token per API only when each grant says which API it is for
 * (RFC 8707 §2.2 `resource`, Auth0's `audience`): with more than one API taking user tokens,
 * each must be named.
 */
function checkUserApiTargets(apis: readonly DownstreamApi[], problems: string[]): void {
  const userApis = apis.filter((api) => api.token !== 'client');
  if (userApis.length < 2) return;
  for (const api of userApis) {
    if (api.audience || api.resource) continue;
    problems.push(
      api.name === DEFAULT_API_NAME
        ? 'OIDC_AUDIENCE or OIDC_RESOURCE: required when more than one API gets user tokens'
        : `API_${api.name.toUpperCase()}_AUDIENCE or API_${api.name.toUpperCase()}_RESOURCE: required when more than one API gets user tokens`,
    );
  }
}

/** The API a browser path (`/api/…`) goes to: the named API whose mount it starts with, else the default. */
export function apiForPath(apis: readonly DownstreamApi[], url: string): DownstreamApi | undefined {
  let fallback: DownstreamApi | undefined;
  for (const api of apis) {
    if (api.name === DEFAULT_API_NAME) fallback = api;
    else {
      // `/api/<name>` and `/api/<name>?…` name the API too (with no path in it: a 400 later).
      const bare = api.mountPath.slice(0, -1);
      if (url.startsWith(api.mountPath) || url === bare || url.startsWith(`${bare}?`)) return api;
    }
  }
  return fallback;
}

/**
 * The one place that reads the environment.
 *
 * `loadConfig(env)` validates every variable once, at start-up, and returns a
 * frozen, typed object that the rest of the app receives as a value. Bad input
 * fails with one `ConfigError` that lists every problem, never a secret.
 *
 * Rules enforced here:
 * - In production `SESSION_SECRET` (≥ 32 characters) is required, and with
 *   `REDIS_URL` also `TOKEN_ENCRYPTION_KEY` (tokens are encrypted at rest).
 * - An `http://` issuer or API is refused in production unless it is loopback
 *   (RFC 9700 §2.6: authorization responses must not travel unencrypted).
 * - With no `OIDC_ISSUER` the app runs in demo mode: an embedded identity
 *   provider and a demo API on loopback ports, with demo client credentials.
 * - `OIDC_PROVIDER` picks a provider's defaults (presets/); each has its own
 *   variable to override it. The dialect is configured, never guessed from the issuer.
 * - `private_key_jwt` (OIDC_AUTH_METHOD or M2M_AUTH_METHOD) needs the app's
 *   private key and no client secret; the key is checked here (client-keys.ts).
 *
 * Why this file is long: it is the one list of every variable, its type, its
 * default and its cross-field rules, in the order of the README's table, so a
 * reader can check one against the other. Presets, demo defaults, production
 * checks and parsing helpers already live beside it; splitting the schema from
 * the object it builds would put each variable in two places.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MANAGEMENT_SCOPES, M2M_SCOPES, USER_SCOPES } from '../demo/api/scopes.js';
import { DEMO_API_TOP_PATHS } from '../demo/api/paths.js';
import { DEMO_PROFILE_NAMES, type DemoProfileName } from '../demo/identity-provider/profiles/index.js';
import { demoAppDefaults, demoProfile, presetForProfile } from './demo-defaults.js';
import { DEMO_CLIENT_PROFILES, withDemoClientProfile } from './demo-client-profile.js';
import { parseAuthorizationParams } from './authorization-params.js';
import {
  LOGOUT_STYLES,
  PROVIDER_PRESETS,
  PROVIDER_PRESET_NAMES,
  type ClientAuthMethod,
  type LogoutStyle,
  type ProviderPresetName,
} from './presets/index.js';
import { isLoopbackHost } from './loopback.js';
import { checkTransport } from './production-checks.js';
import { loadClientKeys, type ClientKeysConfig } from './client-keys.js';
import { DEFAULT_API_NAME, namedApis, type DownstreamApi } from './apis.js';

export type { ClientAuthMethod, LogoutStyle, ProviderPresetName } from './presets/index.js';
export type { ClientKeyAlg, ClientKeysConfig, PrivateClientJwk } from './client-keys.js';
export type { ApiTokenKind, DownstreamApi } from './apis.js';

export interface DemoConfig {
  /** Which real provider the embedded one plays (DEMO_PROVIDER_PROFILE). */
  readonly profile: DemoProfileName;
  /** Port of the embedded identity provider (issuer `http://127.0.0.1:<port>`). */
  readonly providerPort: number;
  /** Port of the embedded demo API. */
  readonly apiPort: number;
  /** Access-token lifetime the demo provider issues: short, so refresh is visible. */
  readonly accessTokenTtlSeconds: number;
  /** Client-credentials token lifetime the demo provider issues. */
  readonly m2mTokenTtlSeconds: number;
  /** The provider and the demo API demand DPoP nonces (RFC 9449 §8, §9), so the nonce retry is visible. */
  readonly dpopNonce: boolean;
}

export interface OidcConfig {
  /** The `OIDC_PROVIDER` preset whose defaults apply. */
  readonly provider: ProviderPresetName;
  readonly issuer: URL;
  readonly clientId: string;
  /** Undefined with `private_key_jwt`: the client then has no secret (config refuses one). */
  readonly clientSecret: string | undefined;
  readonly authMethod: ClientAuthMethod;
  readonly scope: string;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  /** `prompt` sent on every login, merged with one the visitor asks for (Logto needs `consent` for offline_access). */
  readonly prompt: string | undefined;
  /** Static extra `/authorize` parameters (OIDC_AUTHORIZATION_PARAMS), e.g. Google's `access_type=offline`. */
  readonly authorizationParams: Readonly<Record<string, string>>;
  /** Auth0 organization sent on every login; the ID token's `org_id`/`org_name` must match. */
  readonly organization: string | undefined;
  /** Entra tenants (`tid`) allowed to log in; required when the issuer is a `{tenantid}` template. */
  readonly allowedTenants: readonly string[];
  /** How the browser leaves at logout. */
  readonly logout: LogoutStyle;
  /** Fetch the UserInfo endpoint at login (OIDC Core §5.3) and show its claims on the profile. */
  readonly fetchUserinfo: boolean;
  /** Send the ID token as `id_token_hint` at logout (puts a token in a URL; off by default). */
  readonly logoutIdTokenHint: boolean;
  /** Plain-HTTP discovery and token calls: only ever true for a loopback issuer. */
  readonly allowInsecureRequests: boolean;
  /** Seconds openid-client waits for any provider response. */
  readonly timeoutSeconds: number;
  /** Seconds a login transaction (state, nonce, PKCE verifier) stays valid. */
  readonly loginTimeoutSeconds: number;
  /** Pushed authorization requests (RFC 9126): `auto` uses them when the provider offers them. */
  readonly par: ParMode;
  /** Sender-constrained tokens (RFC 9449): each login gets its own DPoP key pair. */
  readonly dpop: boolean;
}

export type ParMode = 'auto' | 'on' | 'off';

export interface ApiConfig {
  /** Upstream origin + path prefix; `/api/<path>` maps to `<baseUrl>/<path>`. */
  readonly baseUrl: URL;
  readonly connectTimeoutMs: number;
  /** Time from sending the request (the whole body) to the answer's head. */
  readonly timeoutMs: number;
  /** Longest silence between two chunks of a body, either way, once it flows. */
  readonly idleTimeoutMs: number;
  /** Largest request body buffered so that a call can be replayed after a forced refresh. */
  readonly replayBodyLimitBytes: number;
  /** Methods replayed after a forced refresh (upper case); by default the idempotent ones. */
  readonly replayMethods: readonly string[];
}

export interface SessionConfig {
  /** First secret signs; all verify (rotation). */
  readonly secrets: readonly string[];
  /** True when SESSION_SECRET was not set and a random one was made for this process. */
  readonly ephemeralSecret: boolean;
  readonly cookieName: string;
  readonly secureCookie: boolean;
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
  readonly maxSessions: number;
  readonly redisUrl: string | undefined;
  /**
   * Keep session and token records read from Redis in this process until Redis says they changed
   * (server-assisted client-side caching, RESP3 `CLIENT TRACKING`); off for servers or proxies without it.
   */
  readonly redisClientCache: boolean;
  /** AES-256 keys (64 hex characters each) for tokens at rest in Redis; the first encrypts, all decrypt. */
  readonly tokenEncryptionKeys: readonly string[];
  /** True when TOKEN_ENCRYPTION_KEY was not set and a random key was made for this process. */
  readonly ephemeralTokenKey: boolean;
}

export interface M2mConfig {
  readonly issuer: URL;
  readonly clientId: string;
  /** Undefined with `private_key_jwt` (the app's key, `Config.clientKeys`, signs instead). */
  readonly clientSecret: string | undefined;
  readonly authMethod: ClientAuthMethod;
  readonly audience: string | undefined;
  readonly resource: string | undefined;
  readonly scope: string | undefined;
  readonly organization: string | undefined;
  readonly allowInsecureRequests: boolean;
  /** Client-credentials tokens bound to a key of this app process (RFC 9449, M2M_DPOP). */
  readonly dpop: boolean;
}

export interface TracingConfig {
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: URL;
  readonly serviceName: string;
}

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  /** Interface to listen on: loopback when BASE_URL is loopback, else all interfaces. */
  readonly listenHost: string;
  /** Public origin of the app; every absolute URL we build starts here, never from `Host`. */
  readonly baseUrl: URL;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  /** Express `trust proxy` hop count; 0 = do not trust `X-Forwarded-*`. */
  readonly trustProxy: number;
  readonly logLevel: string;
  /** Whether LOG_LEVEL was set: the M2M CLI logs only then (its stdout is the API's answer). */
  readonly logLevelExplicit: boolean;
  readonly demo: DemoConfig | null;
  readonly oidc: OidcConfig;
  /** Upstream settings every API shares (timeouts, replay), and the default API's base URL. */
  readonly api: ApiConfig;
  /** Every API the browser can call: the default one (`/api/*`) first, then the named ones (`/api/<name>/*`). */
  readonly apis: readonly DownstreamApi[];
  readonly session: SessionConfig;
  readonly m2m: M2mConfig | null;
  /** The app's private keys for `private_key_jwt` (first signs, all published); null when nothing uses them. */
  readonly clientKeys: ClientKeysConfig | null;
  readonly rateLimit: {
    /** /login and /callback, each, per client address. */
    readonly loginPerMinute: number;
    /** /login per browser session. */
    readonly loginPerSessionPerMinute: number;
    /** /api (and the pages' own API routes) per session, or per address without one. */
    readonly apiPerMinute: number;
  };
  /** Settings that work but are probably wrong (production-checks.ts); logged once at start. */
  readonly warnings: readonly string[];
  /** Prometheus metrics listener; null when METRICS_PORT is not set. */
  readonly metrics: { readonly port: number; readonly host: string } | null;
  /** OpenTelemetry traces; null unless OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  readonly tracing: TracingConfig | null;
}

/** Thrown by `loadConfig`; `problems` names each bad variable without echoing its value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Demo client credentials: public knowledge, only ever valid at the embedded provider. */
export const DEMO_CLIENT = {
  clientId: 'demo-web-app',
  clientSecret: 'demo-web-app-secret-not-for-production',
} as const;
export const DEMO_M2M_CLIENT = {
  clientId: 'demo-reports-service',
  clientSecret: 'demo-reports-secret-not-for-production',
} as const;
/** The demo API's identifier: an RFC 8707 resource / Auth0 audience, never fetched. */
export const DEMO_API_AUDIENCE = 'https://demo-api.example/';
/** The demo management API's identifier (machine clients only, like Auth0's Management API). */
export const DEMO_MANAGEMENT_AUDIENCE = 'https://management.demo-api.example/api/v2/';
export const DEMO_MANAGEMENT_SCOPE = MANAGEMENT_SCOPES.join(' ');
export const DEMO_USER_SCOPES = USER_SCOPES.join(' ');
export const DEMO_M2M_SCOPE = M2M_SCOPES.join(' ');

function isLoopback(url: URL): boolean {
  return isLoopbackHost(url.hostname);
}

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const authMethod = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
const absoluteUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/ }));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: optionalText,
  BASE_URL: absoluteUrl.optional(),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),

  OIDC_PROVIDER: z.enum(PROVIDER_PRESET_NAMES).optional(),
  OIDC_ISSUER: absoluteUrl.optional(),
  OIDC_CLIENT_ID: optionalText,
  OIDC_CLIENT_SECRET: optionalText,
  OIDC_AUTH_METHOD: authMethod.optional(),
  OIDC_CLIENT_PRIVATE_KEY: optionalText,
  OIDC_CLIENT_PRIVATE_KEY_FILE: optionalText,
  OIDC_SCOPE: optionalText,
  OIDC_AUDIENCE: optionalText,
  OIDC_RESOURCE: absoluteUrl.optional(),
  OIDC_PROMPT: optionalText,
  OIDC_TIMEOUT_SECONDS: positiveInt.default(10),
  OIDC_AUTHORIZATION_PARAMS: optionalText,
  OIDC_ORGANIZATION: z
    .string()
    .trim()
    .regex(/^[\w.-]{1,128}$/)
    .optional(),
  OIDC_ALLOWED_TENANTS: optionalText,
  OIDC_LOGOUT: z.enum(LOGOUT_STYLES).optional(),
  OIDC_LOGOUT_ID_TOKEN_HINT: z.enum(['true', 'false']).optional(),
  OIDC_USERINFO: z.enum(['true', 'false']).default('false'),
  LOGIN_TIMEOUT_SECONDS: positiveInt.default(600),
  OIDC_PAR: z.enum(['auto', 'on', 'off']).default('auto'),
  OIDC_DPOP: z.enum(['on', 'off']).default('off'),

  API_BASE_URL: absoluteUrl.optional(),
  API_CONNECT_TIMEOUT_MS: positiveInt.default(3000),
  API_TIMEOUT_MS: positiveInt.default(10000),
  API_IDLE_TIMEOUT_MS: positiveInt.default(30000),
  API_REPLAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * 1024),

  // RFC 9110 §9.2.2: a request with an idempotent method can be sent again with the same effect.
  API_REPLAY_METHODS: z
    .string()
    .trim()
    .default('GET,HEAD,OPTIONS,PUT,DELETE')
    .transform((v) =>
      v
        .split(',')
        .map((m) => m.trim().toUpperCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Z]+$/, 'a comma-separated list of HTTP methods'))),

  SESSION_SECRET: optionalText,
  SESSION_IDLE_SECONDS: positiveInt.default(30 * 60),
  SESSION_ABSOLUTE_SECONDS: positiveInt.default(12 * 60 * 60),
  SESSION_MAX_COUNT: positiveInt.default(100_000),
  TOKEN_ENCRYPTION_KEY: optionalText,
  REDIS_URL: z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^rediss?$/ }))
    .optional(),
  REDIS_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
  REDIS_CLIENT_CACHE: z.enum(['on', 'off']).default('on'),

  M2M_ISSUER: absoluteUrl.optional(),
  M2M_CLIENT_ID: optionalText,
  M2M_CLIENT_SECRET: optionalText,
  M2M_AUDIENCE: optionalText,
  M2M_RESOURCE: absoluteUrl.optional(),
  M2M_SCOPE: optionalText,
  M2M_ORGANIZATION: optionalText,
  M2M_AUTH_METHOD: authMethod.default('client_secret_post'),
  M2M_DPOP: z.enum(['on', 'off']).default('off'),

  DEMO_PROVIDER_PROFILE: z.enum(DEMO_PROFILE_NAMES).default('standard'),
  DEMO_PROVIDER_PORT: port.optional(),
  DEMO_API_PORT: port.optional(),
  DEMO_ACCESS_TOKEN_TTL: positiveInt.default(120),
  DEMO_M2M_TOKEN_TTL: positiveInt.default(600),
  DEMO_DPOP_NONCE: z.enum(['on', 'off']).default('off'),
  DEMO_CLIENT_PROFILE: z.enum(DEMO_CLIENT_PROFILES).default('standard'),

  RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt.default(300),
  RATE_LIMIT_LOGIN_PER_SESSION_PER_MINUTE: positiveInt.default(20),
  RATE_LIMIT_API_PER_MINUTE: positiveInt.default(6000),

  METRICS_PORT: port.optional(),
  METRICS_HOST: optionalText,
  // The OpenTelemetry SDK's standard variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).
  OTEL_EXPORTER_OTLP_ENDPOINT: absoluteUrl.optional(),
  OTEL_SERVICE_NAME: optionalText,
});

/** Names of the variables whose values must never appear in a message. */
const SECRET_VARIABLES = new Set([
  'OIDC_CLIENT_SECRET',
  'OIDC_CLIENT_PRIVATE_KEY',
  'M2M_CLIENT_SECRET',
  'SESSION_SECRET',
  'REDIS_URL',
  'TOKEN_ENCRYPTION_KEY',
]);

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    // zod messages never include the received value, but say so explicitly for secrets.
    return SECRET_VARIABLES.has(name) ? `${name}: invalid value` : `${name}: ${issue.message}`;
  });
}

function withoutTrailingSlash(url: URL): string {
  return url.href.replace(/\/+$/, '');
}

/**
 * Validates `env` and returns the app's configuration.
 * @throws ConfigError listing every problem at once.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(withDemoClientProfile(env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';

  const baseUrl = new URL(e.BASE_URL ?? `http://localhost:${e.PORT}`);
  if (baseUrl.search || baseUrl.hash) problems.push('BASE_URL: must not contain a query or fragment');
  const base = withoutTrailingSlash(baseUrl);

  // Demo mode: no provider configured, so run the embedded one on loopback.
  const demoMode = e.OIDC_ISSUER === undefined;
  const demo: DemoConfig | null = demoMode
    ? {
        profile: e.DEMO_PROVIDER_PROFILE,
        providerPort: e.DEMO_PROVIDER_PORT ?? e.PORT + 1,
        apiPort: e.DEMO_API_PORT ?? e.PORT + 2,
        accessTokenTtlSeconds: e.DEMO_ACCESS_TOKEN_TTL,
        m2mTokenTtlSeconds: e.DEMO_M2M_TOKEN_TTL,
        dpopNonce: e.DEMO_DPOP_NONCE === 'on',
      }
    : null;
  if (demo && production) {
    problems.push('OIDC_ISSUER: required in production (the embedded demo provider is for development only)');
  }
  if (!demo && e.DEMO_CLIENT_PROFILE !== 'standard') {
    problems.push(
      'DEMO_CLIENT_PROFILE: only for the embedded demo provider; with OIDC_ISSUER set OIDC_PAR, OIDC_AUTH_METHOD, OIDC_DPOP, M2M_AUTH_METHOD and M2M_DPOP',
    );
  }

  // In demo mode the preset follows the profile unless one is named; the dashboard values come from the profile.
  const presetName = e.OIDC_PROVIDER ?? (demo ? presetForProfile(demo.profile) : 'generic');
  const preset = PROVIDER_PRESETS[presetName];
  const demoDefaults = demo
    ? demoAppDefaults(demoProfile(demo.profile), preset, { audience: DEMO_API_AUDIENCE, userScopes: DEMO_USER_SCOPES })
    : undefined;
  const issuer = new URL(
    e.OIDC_ISSUER ?? `http://127.0.0.1:${demo?.providerPort ?? 0}${demoDefaults?.issuerPath ?? ''}`,
  );
  const authorizationParams = parseAuthorizationParams(e.OIDC_AUTHORIZATION_PARAMS, preset.authorizationParams);
  if (typeof authorizationParams === 'string') problems.push(`OIDC_AUTHORIZATION_PARAMS: ${authorizationParams}`);
  if (issuer.protocol === 'http:' && !isLoopback(issuer)) {
    problems.push('OIDC_ISSUER: http is allowed only for a loopback issuer (localhost, 127.0.0.1)');
  }
  const oidcAuthMethod = e.OIDC_AUTH_METHOD ?? preset.authMethod;
  const oidcSigns = oidcAuthMethod === 'private_key_jwt';
  if (!demoMode) {
    if (!e.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER is set');
    if (!e.OIDC_CLIENT_SECRET && !oidcSigns) problems.push('OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set');
  }
  if (oidcSigns && e.OIDC_CLIENT_SECRET) {
    // A client registered for private_key_jwt has no secret to send; some providers refuse a
    // request that carries two credentials (Okta: "Cannot supply multiple client credentials").
    problems.push('OIDC_CLIENT_SECRET: not used with OIDC_AUTH_METHOD=private_key_jwt; remove it');
  }
  if (e.OIDC_AUDIENCE && e.OIDC_RESOURCE) {
    problems.push(
      'OIDC_AUDIENCE and OIDC_RESOURCE: set one of them, not both (Auth0 uses audience, RFC 8707 providers resource)',
    );
  }

  const apiBaseUrl = new URL(e.API_BASE_URL ?? `http://127.0.0.1:${demo?.apiPort ?? 0}/`);
  if (apiBaseUrl.search || apiBaseUrl.hash) problems.push('API_BASE_URL: must not contain a query or fragment');
  if (production && apiBaseUrl.protocol === 'http:' && !isLoopback(apiBaseUrl)) {
    problems.push('API_BASE_URL: must use https in production unless it is loopback');
  }
  if (!apiBaseUrl.pathname.endsWith('/')) apiBaseUrl.pathname += '/';

  let secrets: string[];
  let ephemeralSecret = false;
  if (e.SESSION_SECRET) {
    // A comma-separated list rotates secrets: the first signs new cookies, all of them verify.
    secrets = e.SESSION_SECRET.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.some((s) => s.length < 32)) problems.push('SESSION_SECRET: each secret must be at least 32 characters');
  } else if (production) {
    problems.push('SESSION_SECRET: required in production (at least 32 random characters)');
    secrets = [];
  } else {
    secrets = [randomBytes(32).toString('base64url')];
    ephemeralSecret = true;
  }
  let tokenEncryptionKeys: string[] = [];
  let ephemeralTokenKey = false;
  if (e.TOKEN_ENCRYPTION_KEY) {
    // A comma-separated list rotates keys: the first encrypts, all of them decrypt.
    const parsed = e.TOKEN_ENCRYPTION_KEY.split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map(parseEncryptionKey);
    if (parsed.some((k) => k === undefined)) {
      problems.push(
        'TOKEN_ENCRYPTION_KEY: each key must be 32 bytes, as 64 hex characters (openssl rand -hex 32) or 43 base64url characters',
      );
    }
    tokenEncryptionKeys = parsed.filter((k): k is string => k !== undefined);
  } else if (production && e.REDIS_URL) {
    problems.push('TOKEN_ENCRYPTION_KEY: required in production with REDIS_URL (openssl rand -hex 32)');
  } else {
    tokenEncryptionKeys = [randomBytes(32).toString('hex')];
    ephemeralTokenKey = true;
  }
  if (e.SESSION_ABSOLUTE_SECONDS < e.SESSION_IDLE_SECONDS) {
    problems.push('SESSION_ABSOLUTE_SECONDS: must not be shorter than SESSION_IDLE_SECONDS');
  }

  const m2mIssuer = new URL(e.M2M_ISSUER ?? issuer.href);
  let m2m: M2mConfig | null = null;
  const m2mSigns = e.M2M_AUTH_METHOD === 'private_key_jwt';
  if (e.M2M_CLIENT_ID || e.M2M_CLIENT_SECRET) {
    if (!e.M2M_CLIENT_ID) problems.push('M2M_CLIENT_ID: required when M2M_CLIENT_SECRET is set');
    if (!e.M2M_CLIENT_SECRET && !m2mSigns) problems.push('M2M_CLIENT_SECRET: required when M2M_CLIENT_ID is set');
  }
  if (m2mSigns && e.M2M_CLIENT_SECRET) {
    problems.push('M2M_CLIENT_SECRET: not used with M2M_AUTH_METHOD=private_key_jwt; remove it');
  }
  const m2mConfigured = Boolean(e.M2M_CLIENT_ID && (e.M2M_CLIENT_SECRET || m2mSigns)) || demoMode;
  const clientKeys = loadClientKeys({
    inline: e.OIDC_CLIENT_PRIVATE_KEY,
    file: e.OIDC_CLIENT_PRIVATE_KEY_FILE,
    neededBy: [
      ...(oidcSigns ? ['OIDC_AUTH_METHOD=private_key_jwt'] : []),
      ...(m2mSigns && m2mConfigured ? ['M2M_AUTH_METHOD=private_key_jwt'] : []),
    ],
    demo: demoMode,
  });
  problems.push(...clientKeys.problems);
  if (e.M2M_AUDIENCE && e.M2M_RESOURCE) problems.push('M2M_AUDIENCE and M2M_RESOURCE: set one of them, not both');
  if (m2mIssuer.protocol === 'http:' && !isLoopback(m2mIssuer)) {
    problems.push('M2M_ISSUER: http is allowed only for a loopback issuer');
  }
  if (e.M2M_CLIENT_ID && (e.M2M_CLIENT_SECRET || m2mSigns)) {
    m2m = {
      issuer: m2mIssuer,
      clientId: e.M2M_CLIENT_ID,
      clientSecret: m2mSigns ? undefined : e.M2M_CLIENT_SECRET,
      authMethod: e.M2M_AUTH_METHOD,
      audience: e.M2M_AUDIENCE,
      resource: e.M2M_RESOURCE,
      scope: e.M2M_SCOPE,
      organization: e.M2M_ORGANIZATION,
      allowInsecureRequests: m2mIssuer.protocol === 'http:',
      dpop: e.M2M_DPOP === 'on',
    };
  } else if (demo) {
    m2m = {
      issuer: m2mIssuer,
      clientId: DEMO_M2M_CLIENT.clientId,
      clientSecret: m2mSigns ? undefined : DEMO_M2M_CLIENT.clientSecret,
      authMethod: e.M2M_AUTH_METHOD,
      audience: e.M2M_RESOURCE ? undefined : (e.M2M_AUDIENCE ?? DEMO_API_AUDIENCE),
      resource: e.M2M_RESOURCE,
      scope: e.M2M_SCOPE ?? DEMO_M2M_SCOPE,
      organization: e.M2M_ORGANIZATION,
      allowInsecureRequests: true,
      dpop: e.M2M_DPOP === 'on',
    };
  }

  const transport = checkTransport({
    production,
    baseUrl,
    trustProxy: e.TRUST_PROXY,
    redisUrl: e.REDIS_URL,
    redisAllowPlaintext: e.REDIS_ALLOW_PLAINTEXT === 'true',
  });
  problems.push(...transport.problems);
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push('METRICS_PORT: must differ from PORT (metrics never go on the public port)');
  }

  // One definition of each default: the default API's target is what the login asks for.
  const oidcAudience = e.OIDC_AUDIENCE ?? (e.OIDC_RESOURCE ? undefined : demoDefaults?.audience);
  const oidcResource = e.OIDC_RESOURCE ?? (e.OIDC_AUDIENCE ? undefined : demoDefaults?.resource);
  const defaultApi: DownstreamApi = {
    name: DEFAULT_API_NAME,
    mountPath: '/api/',
    baseUrl: apiBaseUrl,
    audience: oidcAudience,
    resource: oidcResource,
    scope: undefined,
    token: 'user',
  };
  const named = namedApis(env, {
    production,
    clientCredentials: m2m !== null,
    defaultApi,
    // The demo API's routes are known; a real API's are not, so only its own name is reserved.
    defaultApiPaths: demo && !e.API_BASE_URL ? DEMO_API_TOP_PATHS : [],
    defaultApiVariables: new Set(Object.keys(envSchema.shape).filter((name) => name.startsWith('API_'))),
    defaults: demo ? [demoManagementApi(demo, demoDefaults?.audience !== undefined)] : [],
  });
  problems.push(...named.problems);

  if (problems.length > 0) throw new ConfigError(problems);

  const secureCookie = baseUrl.protocol === 'https:';
  const config: Config = {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    listenHost: e.HOST ?? (isLoopback(baseUrl) ? '127.0.0.1' : '0.0.0.0'),
    baseUrl: new URL(base),
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL ?? 'info',
    logLevelExplicit: e.LOG_LEVEL !== undefined,
    demo,
    oidc: {
      provider: presetName,
      issuer,
      clientId: e.OIDC_CLIENT_ID ?? DEMO_CLIENT.clientId,
      clientSecret: oidcSigns ? undefined : (e.OIDC_CLIENT_SECRET ?? DEMO_CLIENT.clientSecret),
      authMethod: oidcAuthMethod,
      scope: e.OIDC_SCOPE ?? demoDefaults?.scope ?? preset.scope,
      // One of the two names the API; in demo mode the profile decides which, unless one is set.
      audience: oidcAudience,
      resource: oidcResource,
      prompt: e.OIDC_PROMPT ?? demoDefaults?.prompt ?? preset.prompt,
      authorizationParams: typeof authorizationParams === 'string' ? {} : authorizationParams,
      organization: e.OIDC_ORGANIZATION,
      allowedTenants: (e.OIDC_ALLOWED_TENANTS ?? '')
        .split(',')
        .map((tenant) => tenant.trim())
        .filter(Boolean),
      logout: e.OIDC_LOGOUT ?? preset.logout,
      logoutIdTokenHint: e.OIDC_LOGOUT_ID_TOKEN_HINT
        ? e.OIDC_LOGOUT_ID_TOKEN_HINT === 'true'
        : preset.logoutIdTokenHint,
      fetchUserinfo: e.OIDC_USERINFO === 'true',
      allowInsecureRequests: issuer.protocol === 'http:',
      timeoutSeconds: e.OIDC_TIMEOUT_SECONDS,
      loginTimeoutSeconds: e.LOGIN_TIMEOUT_SECONDS,
      par: e.OIDC_PAR,
      dpop: e.OIDC_DPOP === 'on',
    },
    api: {
      baseUrl: apiBaseUrl,
      connectTimeoutMs: e.API_CONNECT_TIMEOUT_MS,
      timeoutMs: e.API_TIMEOUT_MS,
      idleTimeoutMs: e.API_IDLE_TIMEOUT_MS,
      replayBodyLimitBytes: e.API_REPLAY_BODY_LIMIT_BYTES,
      replayMethods: e.API_REPLAY_METHODS,
    },
    apis: [defaultApi, ...named.apis],
    session: {
      secrets,
      ephemeralSecret,
      // RFC 6265bis §4.1.3.2: `__Host-` pins the cookie to this exact origin (Secure, Path=/, no Domain).
      cookieName: secureCookie ? '__Host-sid' : 'sid',
      secureCookie,
      idleSeconds: e.SESSION_IDLE_SECONDS,
      absoluteSeconds: e.SESSION_ABSOLUTE_SECONDS,
      maxSessions: e.SESSION_MAX_COUNT,
      redisUrl: e.REDIS_URL,
      redisClientCache: e.REDIS_CLIENT_CACHE === 'on',
      tokenEncryptionKeys,
      ephemeralTokenKey,
    },
    m2m,
    clientKeys: clientKeys.keys,
    rateLimit: {
      loginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE,
      loginPerSessionPerMinute: e.RATE_LIMIT_LOGIN_PER_SESSION_PER_MINUTE,
      apiPerMinute: e.RATE_LIMIT_API_PER_MINUTE,
    },
    warnings: transport.warnings,
    // Loopback unless METRICS_HOST says otherwise: metrics describe the fleet's traffic, not for the public.
    metrics: e.METRICS_PORT === undefined ? null : { port: e.METRICS_PORT, host: e.METRICS_HOST ?? '127.0.0.1' },
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: new URL(e.OTEL_EXPORTER_OTLP_ENDPOINT), serviceName: e.OTEL_SERVICE_NAME ?? 'oidc-bff' }
      : null,
  };
  return deepFreeze(config);
}

/**
 * Demo mode's second API: the management API on the demo API's server, called with the app's
 * client-credentials token only. Named the way the profile names APIs to the token endpoint.
 */
function demoManagementApi(demo: DemoConfig, byAudience: boolean): DownstreamApi {
  return {
    name: 'management',
    mountPath: '/api/management/',
    baseUrl: new URL(`http://127.0.0.1:${demo.apiPort}/`),
    audience: byAudience ? DEMO_MANAGEMENT_AUDIENCE : undefined,
    resource: byAudience ? undefined : DEMO_MANAGEMENT_AUDIENCE,
    scope: DEMO_MANAGEMENT_SCOPE,
    token: 'client',
  };
}

/** A 32-byte key as 64 hex characters or as base64url (padding optional), returned as hex; undefined if neither. */
function parseEncryptionKey(text: string): string | undefined {
  if (/^[0-9a-f]{64}$/i.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9_-]{43}=?$/.test(text)) return Buffer.from(text, 'base64url').toString('hex');
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof URL)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

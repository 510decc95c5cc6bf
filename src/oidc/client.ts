/**
 * The app's connection to its OpenID Provider: discovery once, with retry.
 *
 * - Discovery (OIDC Discovery 1.0 §4) runs in the background with exponential
 *   backoff and jitter, so the app starts and serves even while the provider is
 *   down; until it succeeds `/readyz` answers 503 and `/login` a friendly page.
 * - openid-client checks that the discovered `issuer` equals the configured one
 *   exactly (RFC 8414 §3.3), trailing slash included.
 * - Plain HTTP is allowed only for loopback issuers (config enforces it).
 * - ID token signatures are verified against the provider's JWKS even though
 *   they arrive over TLS (`enableNonRepudiationChecks`, OIDC Core §3.1.3.7).
 *   openid-client leaves the JWKS to oauth4webapi, which caches it per provider, fetches it again
 *   when it is 5 minutes old, and for a `kid` it does not hold only once the cached set is a minute
 *   old: a key rotation costs one fetch, and unknown `kid`s never cost more than one a minute.
 *   https://github.com/panva/oauth4webapi/blob/main/src/index.ts (getPublicSigKeyFromIssuerJwksUri)
 * - The client authentication chosen here is used by every call made with the
 *   returned configuration: code exchange, refresh, revocation, PAR, client
 *   credentials (RFC 6749 §2.3, OIDC Core §9).
 */
import * as client from 'openid-client';
import type { ClientAuthMethod } from '../config/config.js';
import { errorSummary, ProviderUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../retry.js';
import { recordPushedRequestLifetimes } from './pushed-request.js';

/** Who the client is at the provider, and how it proves it. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly authMethod: ClientAuthMethod;
  /** For `client_secret_basic` and `client_secret_post`. */
  readonly clientSecret?: string | undefined;
  /** For `private_key_jwt`: the key that signs the client assertions (src/oidc/client-keys.ts). */
  readonly privateKey?: client.PrivateKey | undefined;
}

export interface ProviderSettings extends ClientCredentials {
  readonly issuer: URL;
  readonly allowInsecureRequests: boolean;
  readonly timeoutSeconds: number;
  /** Verify ID token signatures (user login); not needed for client credentials. */
  readonly verifyIdTokenSignatures: boolean;
}

/**
 * Seconds of clock difference tolerated between us and the provider when
 * checking `exp` and `iat` of ID tokens (OIDC Core §3.1.3.7 items 9–10).
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** openid-client's implementation of the configured method; config guarantees the credential is there. */
export function clientAuthentication(credentials: ClientCredentials): client.ClientAuth {
  const { authMethod, clientSecret, privateKey } = credentials;
  if (authMethod === 'private_key_jwt') {
    if (!privateKey) throw new TypeError('private_key_jwt needs a private key');
    return client.PrivateKeyJwt(privateKey);
  }
  if (!clientSecret) throw new TypeError(`${authMethod} needs a client secret`);
  return authMethod === 'client_secret_post'
    ? client.ClientSecretPost(clientSecret)
    : client.ClientSecretBasic(clientSecret);
}

/** One-shot discovery. Throws whatever openid-client throws. */
export async function discoverProvider(settings: ProviderSettings): Promise<client.Configuration> {
  const execute: Array<(c: client.Configuration) => void> = [];
  // Deliberately visible: plain HTTP is acceptable only for a provider on this machine.
  if (settings.allowInsecureRequests) execute.push(client.allowInsecureRequests);
  if (settings.verifyIdTokenSignatures) execute.push(client.enableNonRepudiationChecks);
  // The flow inspector shows how long a pushed request lives (RFC 9126 §2.2).
  execute.push(recordPushedRequestLifetimes);
  return client.discovery(
    settings.issuer,
    settings.clientId,
    // OIDC Core §3.1.3.7: tolerate a little clock skew between us and the provider.
    { [client.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
    clientAuthentication(settings),
    { execute, timeout: settings.timeoutSeconds },
  );
}

export interface ProviderConnectionOptions {
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called once, when discovery first succeeds (the start-up check of setup-check.ts). */
  readonly onDiscovered?: (configuration: client.Configuration) => void;
}

/**
 * Keeps trying discovery until it succeeds, then holds the `Configuration`.
 * `get()` never blocks: it returns the configuration or throws a 503 error.
 */
export class ProviderConnection {
  #configuration: client.Configuration | undefined;
  #lastError: unknown;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #attempts = 0;
  #firstAttempt: Promise<void> | undefined;
  readonly #settings: ProviderSettings;
  readonly #logger: Logger;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onDiscovered: ((configuration: client.Configuration) => void) | undefined;

  constructor(settings: ProviderSettings, logger: Logger, options: ProviderConnectionOptions = {}) {
    this.#settings = settings;
    this.#logger = logger;
    this.#minDelayMs = options.minDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#onDiscovered = options.onDiscovered;
  }

  get ready(): boolean {
    return this.#configuration !== undefined;
  }

  get issuer(): URL {
    return this.#settings.issuer;
  }

  /** Starts discovery in the background; resolves after the first attempt, whatever its outcome. */
  start(): Promise<void> {
    this.#firstAttempt ??= this.#attempt();
    return this.#firstAttempt;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  get(): client.Configuration {
    if (this.#configuration) return this.#configuration;
    throw new ProviderUnavailableError(this.#lastError);
  }

  /** Resolves once discovery has succeeded (used by tests and the CLI). */
  async whenReady(timeoutMs = 10_000): Promise<client.Configuration> {
    const deadline = Date.now() + timeoutMs;
    await this.start();
    while (!this.#configuration) {
      if (Date.now() > deadline || this.#stopped) throw new ProviderUnavailableError(this.#lastError);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.#configuration;
  }

  async #attempt(): Promise<void> {
    if (this.#stopped) return;
    this.#attempts += 1;
    try {
      this.#configuration = await discoverProvider(this.#settings);
      this.#logger.info({ issuer: this.#settings.issuer.href, attempts: this.#attempts }, 'provider metadata loaded');
      this.#onDiscovered?.(this.#configuration);
    } catch (err) {
      this.#lastError = err;
      const delay = backoffDelay(this.#attempts - 1, { firstMs: this.#minDelayMs, maxMs: this.#maxDelayMs });
      this.#logger.warn(
        { issuer: this.#settings.issuer.href, attempt: this.#attempts, retryInMs: delay, reason: errorSummary(err) },
        'provider discovery failed; retrying',
      );
      if (!this.#stopped) {
        this.#timer = setTimeout(() => void this.#attempt(), delay);
        this.#timer.unref();
      }
    }
  }
}

/**
 * Transport checks on the configuration: what production refuses, and what
 * is worth a warning at start. Called by `loadConfig` (config.ts).
 *
 * - Production refuses a plain-http `BASE_URL`: the session cookie would not
 *   be `Secure`, could not carry the `__Host-` prefix (RFC 6265bis §4.1.3.2)
 *   and there would be no HSTS, so anyone on the network path could take the
 *   session. Loopback is the exception (local trials and black-box test rigs
 *   run production mode on `http://127.0.0.1`), with a warning.
 * - An https `BASE_URL` with `TRUST_PROXY=0` means TLS ends at a proxy we do
 *   not believe: every request looks like plain http, the `Secure` session
 *   cookie is never sent back, and every login fails with `invalid_state`.
 *   That is a warning (the hop count cannot be guessed), in every mode.
 * - Production refuses `redis://` (plaintext) to a host that is not loopback:
 *   sessions and tokens would cross the network in clear. `rediss://` (TLS),
 *   or an explicit `REDIS_ALLOW_PLAINTEXT=true` for a private link the
 *   operator vouches for.
 * The issuer's transport (https unless loopback) is checked in config.ts for
 * every mode (RFC 9700 §2.6).
 */
import { isLoopbackHost } from './loopback.js';

export interface TransportSettings {
  readonly production: boolean;
  readonly baseUrl: URL;
  readonly trustProxy: number;
  readonly redisUrl: string | undefined;
  readonly redisAllowPlaintext: boolean;
}

export function checkTransport(settings: TransportSettings): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const { production, baseUrl } = settings;

  if (baseUrl.protocol === 'http:' && production) {
    if (isLoopbackHost(baseUrl.hostname)) {
      warnings.push(
        'BASE_URL is http on loopback in production: fine for a local trial, but the session cookie is not Secure and there is no HSTS',
      );
    } else {
      problems.push(
        'BASE_URL: must use https in production (the session cookie must be Secure, with the __Host- prefix, and HSTS on)',
      );
    }
  }
  if (baseUrl.protocol === 'https:' && settings.trustProxy === 0) {
    warnings.push(
      'BASE_URL is https but TRUST_PROXY=0: behind a TLS-terminating proxy every request looks like plain http, the Secure session cookie is never set and every login fails with invalid_state. Set TRUST_PROXY to the number of proxies in front of the app.',
    );
  }
  if (production && settings.redisUrl && !settings.redisAllowPlaintext) {
    const redis = new URL(settings.redisUrl);
    if (redis.protocol === 'redis:' && !isLoopbackHost(redis.hostname)) {
      problems.push(
        'REDIS_URL: use rediss:// (TLS) for a Redis on another host in production, or set REDIS_ALLOW_PLAINTEXT=true for a private link you trust',
      );
    }
  }
  return { problems, warnings };
}

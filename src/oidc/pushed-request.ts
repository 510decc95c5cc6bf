/**
 * How long a pushed authorization request stays usable at the provider: the `expires_in` of the
 * PAR response (RFC 9126 §2.2), shown in the flow inspector next to the `request_uri`.
 *
 * openid-client's `buildAuthorizationUrlWithPAR` reads the response and returns only the
 * authorization URL; no part of its API hands back `expires_in`. So this is hand-written: the
 * provider connection's `customFetch` (the hook openid-client offers for every HTTP request of a
 * configuration) looks at the answers of the PAR endpoint only, reads `expires_in` from a copy of
 * the body, and keeps it by `request_uri`, the value the returned URL carries. Every other request
 * passes through untouched. The map is bounded: an entry nobody takes (a login that failed after
 * the push) is simply pushed out.
 */
import { LRUCache } from 'lru-cache';
import * as client from 'openid-client';

/** Lifetimes waiting to be taken, per configuration (one per provider connection). */
const lifetimes = new WeakMap<client.Configuration, LRUCache<string, number>>();

/** Logins pushed but not yet redirected that one instance can hold: far above any real burst. */
const MAX_WAITING = 1_000;

/** Lets {@link takePushedRequestLifetime} see the `expires_in` of this configuration's PAR responses. */
export function recordPushedRequestLifetimes(configuration: client.Configuration): void {
  const metadata = configuration.serverMetadata().pushed_authorization_request_endpoint;
  if (typeof metadata !== 'string') return;
  // openid-client requests the endpoint by its URL's `href`: compare in that form.
  const endpoint = new URL(metadata).href;
  const waiting = new LRUCache<string, number>({ max: MAX_WAITING });
  lifetimes.set(configuration, waiting);
  const send: client.CustomFetch = configuration[client.customFetch] ?? ((url, options) => fetch(url, options));
  configuration[client.customFetch] = async (url, options) => {
    const response = await send(url, options);
    // RFC 9126 §2.2: a successful push is answered 201 with `request_uri` and `expires_in`.
    if (url === endpoint && response.status === 201) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => undefined);
      const { request_uri: requestUri, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
      if (typeof requestUri === 'string' && Number.isSafeInteger(expiresIn) && (expiresIn as number) > 0) {
        waiting.set(requestUri, expiresIn as number);
      }
    }
    return response;
  };
}

/** The `expires_in` (seconds) the provider gave `requestUri`, once; undefined when it is not known. */
export function takePushedRequestLifetime(configuration: client.Configuration, requestUri: string): number | undefined {
  const waiting = lifetimes.get(configuration);
  const expiresIn = waiting?.get(requestUri);
  waiting?.delete(requestUri);
  return expiresIn;
}

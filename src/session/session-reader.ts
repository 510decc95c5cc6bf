/**
 * A lean, read-mostly view of the express-session session, for the /api hot path.
 *
 * express-session does a lot per request that an API call does not need: it
 * hashes the session twice to detect changes, signs a fresh rolling cookie and
 * touches the store on every response. On the proxy path that was the largest
 * single cost (docs/benchmark.md). This reader does only what the path needs:
 * - unsign the cookie with the configured secrets (same format as
 *   express-session: `s:<id>.<HMAC-SHA256>`; session-cookie.ts
 *   `SessionCookieVerifier`, cached and bounded by bytes), read the record from the store;
 * - parse a stored record once: when the store can hand out the record as it
 *   stored it (`StoredSessionRecords`), the parsed copy of the last value read
 *   per session is reused while the store holds the same text. The copy is
 *   deep-frozen, so no caller can change what the next request sees;
 * - enforce the absolute lifetime;
 * - keep the idle timeout rolling, but at most once per `keepAliveIntervalMs`
 *   (session-cookie.ts): touch the store entry and re-issue
 *   the cookie with a new expiry.
 * It never writes the session object back, so it cannot race with page requests.
 */
import type { IncomingMessage } from 'node:http';
import type session from 'express-session';
import { LRUCache } from 'lru-cache';
import type { SessionConfig } from '../config/config.js';
import { SessionStoreUnavailableError } from '../errors.js';
import { keepAliveIntervalMs, rolledExpiry, serializeSessionCookie, SessionCookieVerifier } from './session-cookie.js';
import { clearUser, loginExpired } from './session-data.js';

export interface ApiSession {
  readonly id: string;
  readonly data: Readonly<session.SessionData>;
}

/** A session store that can also give a record as it stored it (its JSON text), for the parse cache above. */
export interface StoredSessionRecords {
  /** The stored text of session `sid`, or undefined when there is none. Rejects when the store fails. */
  storedRecord(sid: string): Promise<string | undefined>;
}

function hasStoredRecords(store: session.Store): store is session.Store & StoredSessionRecords {
  return typeof (store as Partial<StoredSessionRecords>).storedRecord === 'function';
}

/**
 * Parsed records kept for reuse: enough for the sessions calling the API at any moment (a busy
 * browser makes many calls a second), bounded so idle sessions do not pin their parsed copies.
 */
const PARSED_RECORDS = 2_000;

export class SessionReader {
  readonly #settings: SessionConfig;
  readonly #store: session.Store;
  readonly #isSecure: (req: IncomingMessage) => boolean;
  /** Sessions this instance touched within the interval (per instance is enough: each touch extends the TTL). */
  readonly #recentlyTouched: LRUCache<string, true>;
  readonly #cookies: SessionCookieVerifier;
  /** Session id → the stored text last read and its frozen parse. */
  readonly #parsed = new LRUCache<string, { raw: string; data: Readonly<session.SessionData> }>({
    max: PARSED_RECORDS,
  });

  constructor(
    settings: SessionConfig,
    store: session.Store,
    options: {
      isSecure: (req: IncomingMessage) => boolean;
      cookies?: SessionCookieVerifier;
    },
  ) {
    this.#cookies = options.cookies ?? new SessionCookieVerifier(settings);
    this.#settings = settings;
    this.#store = store;
    this.#isSecure = options.isSecure;
    this.#recentlyTouched = new LRUCache<string, true>({
      max: settings.maxSessions,
      ttl: keepAliveIntervalMs(settings.idleSeconds),
    });
  }

  /** The session id in the request's cookie when its signature is good, or undefined. */
  idOf(req: IncomingMessage): string | undefined {
    return this.#cookies.idOfRequest(req);
  }

  /** The session `id` names, or undefined (expired or unknown). Store failures become a 503. */
  async load(id: string): Promise<ApiSession | undefined> {
    const store = this.#store;
    if (hasStoredRecords(store)) {
      let raw: string | undefined;
      try {
        raw = await store.storedRecord(id);
      } catch (err) {
        throw err instanceof SessionStoreUnavailableError ? err : new SessionStoreUnavailableError(err);
      }
      if (raw === undefined) {
        this.#parsed.delete(id);
        return undefined;
      }
      const cached = this.#parsed.get(id);
      if (cached?.raw === raw) return { id, data: cached.data };
      const parsed = deepFreeze(JSON.parse(raw) as session.SessionData);
      this.#parsed.set(id, { raw, data: parsed });
      return { id, data: parsed };
    }
    const data = await new Promise<session.SessionData | null | undefined>((resolve, reject) => {
      this.#store.get(id, (err, value) => (err ? reject(new SessionStoreUnavailableError(err)) : resolve(value)));
    });
    // The store's time to live is the idle timeout: an expired session is simply not found.
    return data ? { id, data } : undefined;
  }

  /** True when the login is older than the absolute session lifetime (ASVS 5.0 §7.3.2). */
  expired(session: ApiSession, now = Date.now()): boolean {
    return loginExpired(session.data.authenticatedAt, this.#settings.absoluteSeconds, now);
  }

  /**
   * Rolls the idle timeout forward, at most once per interval: touches the
   * store entry and returns the `Set-Cookie` value that sends the cookie again
   * with the new expiry (undefined when nothing is due). Best-effort.
   */
  keepAlive(req: IncomingMessage, session: ApiSession, now = Date.now()): string | undefined {
    if (this.#recentlyTouched.has(session.id)) return undefined;
    this.#recentlyTouched.set(session.id, true);
    const expires = rolledExpiry(this.#settings, now);
    const cookie = { ...session.data.cookie, expires, originalMaxAge: this.#settings.idleSeconds * 1000 };
    this.#store.touch?.(session.id, { ...session.data, cookie } as session.SessionData, () => undefined);
    // Like express-session: a Secure cookie is only sent over a secure connection.
    if (this.#settings.secureCookie && !this.#isSecure(req)) return undefined;
    return serializeSessionCookie(this.#settings, session.id, expires);
  }

  /** Removes the user from a session whose login ended (session-data.ts `clearUser`). */
  async clearUser(session: ApiSession): Promise<void> {
    const data = { ...session.data };
    clearUser(data);
    await new Promise<void>((resolve) => {
      this.#store.set(session.id, data, () => resolve());
    });
  }
}

/** Freezes a parsed JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

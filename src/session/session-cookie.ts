/**
 * The session cookie: the only thing the browser holds. Its one definition,
 * used by express-session (session-middleware.ts), the /api fast path
 * (session-reader.ts) and logout:
 *
 * - HttpOnly; SameSite=Lax, because Strict would withhold the cookie on the
 *   top-level redirect back from the provider (another site) and every
 *   callback would fail (RFC 6265bis §8.8.2; verified in Chromium).
 * - Secure and the `__Host-` prefix when BASE_URL is https (config).
 * - Value `s:<id>.<HMAC-SHA256>`, express-session's format (cookie-signature);
 *   the first secret signs, every listed secret verifies, so secrets rotate.
 * - Rolling idle timeout: every answer that shows activity sends the cookie
 *   again with a fresh expiry of `idleSeconds`.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies, serialize } from 'cookie';
import { LRUCache } from 'lru-cache';
import { sign, unsign } from 'cookie-signature';
import type { SessionConfig } from '../config/config.js';

export interface SessionCookieOptions {
  readonly path: '/';
  readonly httpOnly: true;
  readonly sameSite: 'lax';
  readonly secure: boolean;
}

export function sessionCookieOptions(settings: SessionConfig): SessionCookieOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: settings.secureCookie };
}

/** The session id a raw cookie value names, when one of the secrets signed it. */
export function verifySessionCookie(raw: string, secrets: readonly string[]): string | undefined {
  if (!raw.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const id = unsign(raw.slice(2), secret);
    if (id !== false) return id;
  }
  return undefined;
}

/** The `Set-Cookie` value that sends the session cookie again, valid until `expires`. */
export function serializeSessionCookie(settings: SessionConfig, sessionId: string, expires: Date): string {
  const value = `s:${sign(sessionId, settings.secrets[0] ?? '')}`;
  return serialize(settings.cookieName, value, { ...sessionCookieOptions(settings), expires });
}

/** The new expiry of a rolled cookie: the idle timeout counts from now. */
export function rolledExpiry(settings: SessionConfig, now: number): Date {
  return new Date(now + settings.idleSeconds * 1000);
}

/**
 * How often a live session's store entries are touched to roll the idle
 * timeout: at most once a minute, or a quarter of a short idle timeout. The
 * token record lives this much longer than the idle timeout, so it never
 * expires before its session (tokens/token-service.ts).
 */
export function keepAliveIntervalMs(idleSeconds: number): number {
  return Math.min(60_000, idleSeconds * 250);
}

/**
 * The longest session cookie value we ever issue: `s:` + a 32-character id +
 * `.` + a 43-character HMAC, with room to spare. Anything longer is not ours
 * and is refused before any work or caching.
 */
const MAX_SESSION_COOKIE_LENGTH = 128;

/** Bytes the verified-cookie cache may hold (key and value lengths plus a per-entry overhead). */
const VERIFIED_CACHE_BYTES = 2 * 1024 * 1024;
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * The session id behind a request's `Cookie` header, for the /api hot path
 * and the rate limiter. The HMAC check is a pure function of the cookie and
 * the secrets (fixed for the process), so recent answers are remembered, in a
 * cache bounded by bytes: fake cookies from anonymous clients cannot pin
 * memory, and an oversized value is refused without being looked at.
 */
export class SessionCookieVerifier {
  readonly #cookieName: string;
  readonly #secrets: readonly string[];
  /** Cookie value → session id ('' when the signature is wrong). */
  readonly #verified = new LRUCache<string, string>({
    maxSize: VERIFIED_CACHE_BYTES,
    sizeCalculation: (id, raw) => raw.length + id.length + ENTRY_OVERHEAD_BYTES,
  });

  constructor(settings: Pick<SessionConfig, 'cookieName' | 'secrets'>) {
    this.#cookieName = settings.cookieName;
    this.#secrets = settings.secrets;
  }

  /** Answers already given per request: the rate limiter and the session reader ask about the same one. */
  readonly #byRequest = new WeakMap<IncomingMessage, string | undefined>();

  /** `idOf` for a request's `Cookie` header, worked out once per request. */
  idOfRequest(req: IncomingMessage): string | undefined {
    if (this.#byRequest.has(req)) return this.#byRequest.get(req);
    const id = this.idOf(req.headers.cookie);
    this.#byRequest.set(req, id);
    return id;
  }

  /** The session id when the header carries our cookie with a good signature; otherwise undefined. */
  idOf(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const raw = parseCookies(header)[this.#cookieName];
    if (!raw?.startsWith('s:') || raw.length > MAX_SESSION_COOKIE_LENGTH) return undefined;
    const known = this.#verified.get(raw);
    if (known !== undefined) return known || undefined;
    const id = verifySessionCookie(raw, this.#secrets);
    this.#verified.set(raw, id ?? '');
    return id;
  }

  /** Bytes the cache holds now (for tests and metrics). */
  get cachedBytes(): number {
    return this.#verified.calculatedSize;
  }
}

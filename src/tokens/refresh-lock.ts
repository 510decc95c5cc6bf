/**
 * Mutual exclusion around a session's refresh-token grants.
 *
 * A session has one refresh token, and every grant spends it: the default API's refresh and
 * each named API's grant alike (api-tokens.ts). With rotation, two grants sending the same
 * refresh token at once are a reuse, which revokes the whole grant (RFC 9700 §4.14.2). So the
 * lock is per session: grants for different APIs of one session take turns, and each re-reads
 * the store first, so it sends the refresh token the previous one saved.
 */
import { AppError } from '../errors.js';

export interface RefreshLock {
  /**
   * Runs `task` while holding the lock for `sessionId`. `wait: false` gives up at once (503
   * `refresh_busy`) when someone else holds it: an early refresh has a valid token to fall back on.
   */
  withLock<T>(sessionId: string, task: () => Promise<T>, options?: { wait?: boolean }): Promise<T>;
}

export class RefreshBusyError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(503, 'refresh_busy', 'errors:message.refresh_busy', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
    this.name = 'RefreshBusyError';
  }
}

/** One instance: grants of one session run one after the other in this process. */
export class LocalRefreshLock implements RefreshLock {
  /** Per session: the end of the last grant queued (never rejects). */
  readonly #tails = new Map<string, Promise<unknown>>();

  async withLock<T>(sessionId: string, task: () => Promise<T>, options: { wait?: boolean } = {}): Promise<T> {
    const before = this.#tails.get(sessionId);
    if (before && options.wait === false) throw new RefreshBusyError(1);
    const mine = (before ?? Promise.resolve()).then(task);
    const tail = mine.catch(() => undefined);
    this.#tails.set(sessionId, tail);
    try {
      return await mine;
    } finally {
      if (this.#tails.get(sessionId) === tail) this.#tails.delete(sessionId);
    }
  }
}

/** The lock of a single instance (sessions ids are unique, so one is enough for the process). */
export const localRefreshLock: RefreshLock = new LocalRefreshLock();

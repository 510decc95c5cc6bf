/**
 * Mutual exclusion around a session's refresh, across instances.
 *
 * Within one process the token service already lets concurrent requests share
 * one refresh. With several instances (Redis) the lock makes sure only one of
 * them calls the token endpoint with a given refresh token (RFC 9700 §4.14.2).
 */
export interface RefreshLock {
  /**
   * Runs `task` while holding the lock for `sessionId`. `wait: false` gives up
   * at once (503 `refresh_busy`) when another instance holds it: an early
   * refresh has a valid token to fall back on and need not wait.
   */
  withLock<T>(sessionId: string, task: () => Promise<T>, options?: { wait?: boolean }): Promise<T>;
}

/** One instance: the in-process single-flight is enough. */
export const localRefreshLock: RefreshLock = {
  withLock: (_sessionId, task) => task(),
};

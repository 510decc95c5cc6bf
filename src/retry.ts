/**
 * The wait before the next try of something that reconnects in the background
 * (provider discovery in src/oidc/client.ts, Redis in src/stores/redis/).
 *
 * Capped exponential backoff: about `firstMs` before the second try, twice as
 * long after every failure, never more than `maxMs`, so a dependency that is
 * down is not hammered and one that comes back is found again soon. The delay
 * is drawn between half and all of that value (jitter), so instances that lost
 * the dependency at the same moment do not all retry at the same moment.
 */
export interface BackoffOptions {
  /** Delay after the first failure (before jitter). */
  readonly firstMs: number;
  /** Upper bound of the delay. */
  readonly maxMs: number;
}

/** Milliseconds to wait after failure number `attempt` (0 = the first failure). */
export function backoffDelay(attempt: number, { firstMs, maxMs }: BackoffOptions): number {
  // The exponent is bounded so that 2 ** attempt stays a finite number.
  const ceiling = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

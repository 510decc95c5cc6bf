/**
 * Draining on shutdown. Once SIGTERM has marked the process as stopping
 * (server.ts), requests still in flight finish, and any request that arrives
 * after that (on a keep-alive connection the server has not closed yet) gets
 * `503 shutting_down` with `Connection: close` and `Retry-After`, so the
 * client or the load balancer retries on another instance (RFC 9110 §15.6.4)
 * instead of starting work this process may not live to finish. New
 * connections are no longer accepted at all.
 *
 * Health probes answer as before: `/readyz` is already 503 while stopping.
 * One check for both request paths (the Express pipeline and the /api gateway).
 */
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

export interface Lifecycle {
  shuttingDown: boolean;
}

class ShuttingDownError extends AppError {
  constructor() {
    super(503, 'shutting_down', 'errors:message.shutting_down', {
      headers: { 'Retry-After': '2', Connection: 'close' },
    });
    this.name = 'ShuttingDownError';
  }
}

/** Throws `ShuttingDownError` once the process is stopping. */
export function assertServing(lifecycle: Lifecycle): void {
  if (lifecycle.shuttingDown) throw new ShuttingDownError();
}

/** The same check as Express middleware. */
export function refuseWhileStopping(lifecycle: Lifecycle): RequestHandler {
  return (_req, _res, next) => {
    next(lifecycle.shuttingDown ? new ShuttingDownError() : undefined);
  };
}

/**
 * express-session with the session cookie of session-cookie.ts.
 *
 * - Idle timeout: the cookie and the store entry expire after `idleSeconds`
 *   without a request (`rolling`); absolute timeout: checked against the login
 *   time on every request, whatever the activity (ASVS 5.0 §7.3).
 * - `resave: false` and `saveUninitialized: false`: no store writes for
 *   anonymous visitors and no blind overwrites (tokens are elsewhere anyway).
 * - A store failure becomes a 503 with a clear message, not a login loop.
 */ import type { RequestHandler } from 'express';
import session from 'express-session';
import type { SessionConfig } from '../config/config.js';
import { SessionStoreUnavailableError } from '../errors.js';
import { sessionCookieOptions } from './session-cookie.js';
import { loginExpired } from './session-data.js';

/** The app's express-session settings (also used by the layer benchmark, which varies `rolling`). */
export function sessionOptions(settings: SessionConfig, store: session.Store): session.SessionOptions {
  return {
    name: settings.cookieName,
    secret: [...settings.secrets],
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { ...sessionCookieOptions(settings), maxAge: settings.idleSeconds * 1000 },
  };
}

export function sessionMiddleware(settings: SessionConfig, store: session.Store): RequestHandler {
  const handler = session(sessionOptions(settings, store));
  return (req, res, next) => {
    handler(req, res, (err?: unknown) => {
      if (err || !req.session) {
        // A failed read must not end the session: forget the id so nothing is written or destroyed for it.
        delete (req as { sessionID?: string }).sessionID;
        next(new SessionStoreUnavailableError(err));
      } else next();
    });
  };
}

/** Ends sessions older than the absolute lifetime, however active they are. */
export function absoluteTimeout(
  absoluteSeconds: number,
  onExpired: (sessionId: string) => Promise<void>,
): RequestHandler {
  return async (req, _res, next) => {
    if (loginExpired(req.session.authenticatedAt, absoluteSeconds, Date.now())) {
      await onExpired(req.sessionID);
      await regenerateSession(req);
    }
    next();
  };
}

export function regenerateSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function saveSession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function destroySession(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

/** express-session's callback store API as promises, for tests that read or age a session record. */
import type session from 'express-session';

export function sessionGet(store: session.Store, sid: string): Promise<session.SessionData | null | undefined> {
  return new Promise((resolve, reject) => store.get(sid, (err, data) => (err ? reject(err) : resolve(data))));
}

export function sessionSet(store: session.Store, sid: string, data: session.SessionData): Promise<void> {
  return new Promise((resolve, reject) => store.set(sid, data, (err) => (err ? reject(err) : resolve())));
}

export function sessionDestroy(store: session.Store, sid: string): Promise<void> {
  return new Promise((resolve, reject) => store.destroy(sid, (err) => (err ? reject(err) : resolve())));
}

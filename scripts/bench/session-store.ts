/** Reads a session record from the app's express-session store (bench processes only). */
import type session from 'express-session';

export function storedSession(store: session.Store, sid: string): Promise<session.SessionData | null | undefined> {
  return new Promise((resolve, reject) =>
    store.get(sid, (err: unknown, data?: session.SessionData | null) => (err ? reject(err) : resolve(data))),
  );
}

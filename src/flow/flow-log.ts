/**
 * A per-session record of what happened after the login (refreshes, API
 * calls, M2M calls), for the "How this login happened" page and the API
 * console, and the trace of the login itself (session-data.ts `LoginTrace`).
 *
 * Appends are fire-and-forget and never awaited on the request path: the log
 * must not slow down or race with token handling. It never holds a token value.
 */
import type { LoginTrace } from '../session/session-data.js';

export type FlowEventType = 'refresh' | 'refresh_failed' | 'api_call' | 'm2m_call';

export interface FlowEvent {
  readonly type: FlowEventType;
  /** Epoch ms. */
  readonly at: number;
  /** Short, safe facts to display (never a token or a code). */
  readonly data: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface FlowLog {
  append(sessionId: string, event: FlowEvent): void;
  list(sessionId: string): Promise<readonly FlowEvent[]>;
  /** The login's three steps, kept apart from the session so every request does not parse them. */
  saveLoginTrace(sessionId: string, trace: LoginTrace): Promise<void>;
  loginTrace(sessionId: string): Promise<LoginTrace | undefined>;
  /** Forgets the events and the login trace. */
  delete(sessionId: string): Promise<void>;
}

/** Events kept per session, in every store: enough for the console's history, bounded per session. */
export const MAX_FLOW_EVENTS = 60;

/**
 * Single-instance flow log: bounded LRU caches, the oldest sessions' logs go first. A login
 * trace is kept as its JSON text: it is read only when someone opens the flow inspector, and
 * one string costs a fraction of the memory of the objects it describes, for every session.
 */
import { LRUCache } from 'lru-cache';
import { MAX_FLOW_EVENTS, type FlowEvent, type FlowLog } from '../../flow/flow-log.js';
import type { LoginTrace } from '../../session/session-data.js';

export class MemoryFlowLog implements FlowLog {
  readonly #logs: LRUCache<string, FlowEvent[]>;
  readonly #traces: LRUCache<string, string>;

  constructor(maxSessions: number) {
    this.#logs = new LRUCache({ max: maxSessions });
    this.#traces = new LRUCache({ max: maxSessions });
  }

  append(sessionId: string, event: FlowEvent): void {
    let events = this.#logs.get(sessionId);
    if (!events) {
      events = [];
      this.#logs.set(sessionId, events);
    }
    events.push(event);
    if (events.length > MAX_FLOW_EVENTS) events.splice(0, events.length - MAX_FLOW_EVENTS);
  }

  async list(sessionId: string): Promise<readonly FlowEvent[]> {
    return [...(this.#logs.get(sessionId) ?? [])];
  }

  async saveLoginTrace(sessionId: string, trace: LoginTrace): Promise<void> {
    this.#traces.set(sessionId, flatText(JSON.stringify(trace)));
  }

  async loginTrace(sessionId: string): Promise<LoginTrace | undefined> {
    const trace = this.#traces.get(sessionId);
    return trace === undefined ? undefined : (JSON.parse(trace) as LoginTrace);
  }

  async delete(sessionId: string): Promise<void> {
    this.#logs.delete(sessionId);
    this.#traces.delete(sessionId);
  }
}

/**
 * The same text as one flat string. V8's `JSON.stringify` hands a long result back as a rope (the
 * pieces it wrote, joined by a small tree of nodes, about 130 bytes for a login trace), and a
 * rope stays a rope until its characters are read. A string kept for the session's lifetime is
 * copied once into a flat one: decoding a Buffer always makes a new, flat string.
 */
function flatText(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * What every refresh-token grant leaves behind: a flow-log event (the flow inspector and the
 * console read them), a log line and a metric. Never a token: only why, how it ended, and for a
 * named API how it was named to the provider (`resource`/`audience`, `scope`).
 */
import type { FlowLog } from '../flow/flow-log.js';
import type { Logger } from '../logger.js';
import { metrics, refreshOutcome } from '../observability/metrics.js';
import type { AppError } from '../errors.js';
import type { ApiGrantTarget } from './api-tokens.js';

export interface RefreshEventSink {
  readonly flowLog: FlowLog;
  readonly logger: Logger;
}

/** A named API's grant as the inspector shows it: the API, and the parameters that named it. */
function apiFields(api: ApiGrantTarget | undefined): Record<string, string> {
  return api ? { api: api.name, ...api.parameters } : {};
}

export function recordRefresh(
  sink: RefreshEventSink,
  sessionId: string,
  at: number,
  event: {
    reason: string;
    api: ApiGrantTarget | undefined;
    rotated: boolean;
    lifetimeSeconds: number;
    newIdToken: boolean;
    latencyMs: number;
  },
): void {
  const { api, ...rest } = event;
  sink.flowLog.append(sessionId, { type: 'refresh', at, data: { ...rest, ...apiFields(api) } });
  sink.logger.info(
    {
      reason: event.reason,
      rotated: event.rotated,
      lifetimeSeconds: event.lifetimeSeconds,
      ...(api && { api: api.name }),
    },
    'tokens refreshed',
  );
  metrics.refreshGrants.inc({ reason: event.reason, outcome: 'ok' });
}

export function recordRefreshFailure(
  sink: RefreshEventSink,
  sessionId: string,
  at: number,
  event: { reason: string; api: ApiGrantTarget | undefined; failure: AppError; detail: string },
): void {
  const { reason, api, failure } = event;
  sink.flowLog.append(sessionId, {
    type: 'refresh_failed',
    at,
    data: { reason, error: failure.code, status: failure.status, ...apiFields(api) },
  });
  sink.logger.warn(
    { reason, error: failure.code, detail: event.detail, ...(api && { api: api.name }) },
    'token refresh failed',
  );
  metrics.refreshGrants.inc({ reason, outcome: refreshOutcome(failure) });
}

/** The provider will not issue a token for this API to this login (api-tokens.ts `isApiRefusal`). */
export function recordApiRefusal(
  sink: RefreshEventSink,
  sessionId: string,
  at: number,
  event: { reason: string; api: ApiGrantTarget; error: string },
): void {
  const { reason, api, error } = event;
  sink.flowLog.append(sessionId, {
    type: 'refresh_failed',
    at,
    data: { reason, error, status: 403, ...apiFields(api) },
  });
  sink.logger.warn({ api: api.name, error }, 'the provider refused a token for this API');
  metrics.refreshGrants.inc({ reason, outcome: 'refused' });
}

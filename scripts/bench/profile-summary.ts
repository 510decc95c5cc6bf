/**
 * Reads a V8 CPU profile (.cpuprofile, from app-process.ts `profileStop`)
 * and says where the app's CPU went (bench only).
 *
 * - Self time per function (the hottest leaves).
 * - Attributed time per area and per function: each sample is charged to the
 *   nearest frame, from the leaf up, that belongs to a package in node_modules
 *   or to a file in src/. Node's own JavaScript (crypto wrappers, events, timers)
 *   and native frames are charged to that caller, so HMAC work inside
 *   cookie-signature counts for express-session, and serializing a log line for
 *   pino. Exception: when the way up passes through Node's HTTP/socket/stream
 *   code first (writing a response through a wrapped `res.end`, parsing), the
 *   sample is "node core" rather than the package that happened to wrap `end`.
 *   Samples with no such caller at all (the HTTP parser driven by the event
 *   loop) are "node core" too.
 * - Areas are then grouped by what they are for (logging, session, headers…).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly share: number;
  /** Microseconds of this row per request of the profiled window. */
  readonly usPerRequest: number;
}

export interface ProfileSummary {
  readonly wallMs: number;
  readonly busyMs: number;
  readonly requests: number;
  readonly busyUsPerRequest: number;
  readonly topSelf: readonly ProfileRow[];
  /** Functions with the native and node-internal work they call (see above). */
  readonly topAttributed: readonly ProfileRow[];
  readonly byArea: readonly ProfileRow[];
  readonly byPurpose: readonly ProfileRow[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
/** Node internals that do HTTP and socket I/O: work below them belongs to "node core". */
const NODE_CLIENT = 'node core: HTTP client (proxy to API)';
const NODE_SERVER = 'node core: HTTP server, sockets, streams';
const NODE_IO = /^node:(_http_|net$|internal\/stream_base_commons|internal\/streams\/|stream$|internal\/http)/;

/** `node_modules/<pkg>` (scoped too), `src/<path>`, `node:<module>`, or a special V8 bucket. */
export function areaOf(frame: CallFrame, root: string): string | undefined {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url.replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0];
  }
  if (url.startsWith(`${root}/src/`)) return url.slice(root.length + 1);
  // The build (what the bench runs by default): dist/<path>.js is src/<path>.ts.
  if (url.startsWith(`${root}/dist/`)) return `src/${url.slice(root.length + '/dist/'.length).replace(/\.js$/, '.ts')}`;
  if (url.startsWith(`${root}/scripts/`)) return 'scripts (bench IPC)';
  return undefined; // node:internal, native builtins, anonymous: charged to the caller
}

/** What each area is for, in the words of the app's request pipeline. */
export function purposeOf(area: string): string {
  const groups: Array<[RegExp, string]> = [
    [
      /^(pino|pino-http|pino-std-serializers|sonic-boom|fast-redact|@pinojs\/redact|safe-stable-stringify|quick-format-unescaped|thread-stream|atomic-sleep|on-exit-leak-free|src\/logger\.ts|src\/web\/request-log\.ts)$/,
      'request logging (pino, sonic-boom)',
    ],
    [
      /^(express-session|cookie-signature|cookie|uid-safe|random-bytes|on-headers|crc|src\/session\/.*|src\/stores\/memory\/session-store\.ts|lru-cache|connect-redis|redis|@redis\/.*)$/,
      'session (express-session, cookie HMAC, store)',
    ],
    [/^(helmet|src\/web\/security-headers\.ts)$/, 'security headers (helmet, CSP nonce)'],
    [
      /^(express-rate-limit|src\/web\/rate-limit\.ts|src\/stores\/redis\/rate-limit-counter\.ts)$/,
      'rate limiter (express-rate-limit)',
    ],
    [/^(src\/proxy\/.*|src\/web\/api-gateway\.ts)$/, 'the /api gateway and proxy (src/web/api-gateway.ts, src/proxy)'],
    [
      /^(src\/tokens\/.*|src\/stores\/.*|src\/flow\/.*|src\/oidc\/.*|openid-client|oauth4webapi|jose)$/,
      'tokens (token service, store, flow log)',
    ],
    [/^(prom-client|tdigest|bintrees|src\/observability\/.*)$/, 'metrics (prom-client)'],
    [
      /^(express|router|path-to-regexp|finalhandler|on-finished|parseurl|send|serve-static|content-type|type-is|accepts|negotiator|mime-types|mime-db|qs|body-parser|vary|encodeurl|escape-html|fresh|range-parser|etag|statuses|http-errors|depd|debug|ms|setprototypeof|proxy-addr|forwarded|ipaddr\.js|content-disposition|merge-descriptors|utils-merge|methods|src\/web\/.*)$/,
      'express routing and req/res helpers',
    ],
    [/^\(garbage collector\)$/, 'garbage collector'],
    [/^\(program\)$/, 'V8/native (program)'],
    [/^node core: /, area],
  ];
  for (const [pattern, name] of groups) if (pattern.test(area)) return name;
  return `other: ${area}`;
}

export function summarizeProfile(file: string, requests: number, root: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const selfByFunction = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  const frameKey = (frame: CallFrame) => {
    const where = frame.url
      ? `${frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${frame.lineNumber + 1}`
      : '(native)';
    return `${frame.functionName || '(anonymous)'} ${where}`;
  };
  const cache = new Map<number, { area: string; fn: string }>();
  const attributed = (id: number): { area: string; fn: string } => {
    const cached = cache.get(id);
    if (cached) return cached;
    let current: number | undefined = id;
    let result: { area: string; fn: string } | undefined;
    let io: string | undefined;
    let client = false;
    while (current !== undefined) {
      const node = byId.get(current);
      if (!node) break;
      const area = areaOf(node.callFrame, root);
      if (area !== undefined && area !== '(root)') {
        result = { area, fn: frameKey(node.callFrame) };
        break;
      }
      if (NODE_IO.test(node.callFrame.url)) io ??= frameKey(node.callFrame);
      if (/^node:_http_(client|agent)$/.test(node.callFrame.url)) client = true;
      current = parent.get(current);
    }
    if (io !== undefined || !result) {
      const leaf = frameKey(byId.get(id)?.callFrame ?? { functionName: '?', url: '', lineNumber: 0 });
      result = { area: client ? NODE_CLIENT : NODE_SERVER, fn: io ?? leaf };
    }
    cache.set(id, result);
    return result;
  };

  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const key = frameKey(node.callFrame);
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
    const { area, fn } = attributed(id);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }

  const busyUs = totalUs - idleUs;
  const rows = (map: Map<string, number>, limit: number): ProfileRow[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        ms: us / 1000,
        share: busyUs > 0 ? us / busyUs : 0,
        usPerRequest: requests > 0 ? us / requests : 0,
      }));

  const byPurpose = new Map<string, number>();
  for (const [area, us] of byArea) {
    const purpose = purposeOf(area);
    byPurpose.set(purpose, (byPurpose.get(purpose) ?? 0) + us);
  }

  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    requests,
    busyUsPerRequest: requests > 0 ? busyUs / requests : 0,
    topSelf: rows(selfByFunction, top),
    topAttributed: rows(byFunction, top),
    byArea: rows(byArea, top),
    byPurpose: rows(byPurpose, 20),
  };
}

/**
 * Part 1 of the report (bench only): `GET /me` on the demo API directly with
 * a bearer token, against `GET /api/me` through the app with the session
 * cookie, with two calibration rows that say what the machine gives right
 * now: a bare node:http server (in A) and a bare undici proxy (P,
 * floor-process.ts), the floor for any Node proxy here. With Redis, the app
 * on Redis is one more row; the app with OIDC_DPOP=on (a proof signed per
 * call, checked by the demo API) is another.
 */
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/demo/demo-accounts.js';
import { measureInterleaved, type Target, type Throughput } from './load.js';
import { apiHeaders, login, statusOf, type LoggedIn } from './login.js';
import { CALIBRATION_S, MEASURE_S } from './options.js';
import type { BenchRedis } from './redis.js';
import { startFloor, stopChild, type AppInstance, type Run } from './stack.js';

export interface ThroughputRows {
  readonly calibration: Throughput;
  readonly direct: Throughput;
  readonly floor: Throughput;
  readonly proxied: Throughput;
  readonly redisProxied?: Throughput;
  /** The app on Redis with REDIS_CLIENT_CACHE=off. */
  readonly redisUncached?: Throughput;
  readonly dpopProxied: Throughput;
  /** The session of the proxied row (its stored records are reported too). */
  readonly session: LoggedIn;
}

/** Part 1 on `run`: its first instance is the app; `app-redis` (if any) and `app-dpop` are named. */
export async function measureThroughput(run: Run, redis?: BenchRedis): Promise<ThroughputRows> {
  const app = run.instances[0] as AppInstance;
  const dpopApp = run.instances.find((instance) => instance.name === 'app-dpop');
  if (!dpopApp) throw new Error('run 1 needs the app-dpop instance');
  const dpopSession = await login(run, dpopApp, DEMO_ACCOUNTS[0] as DemoAccount);
  if ((await statusOf(`${dpopApp.loadOrigin}/api/me`, apiHeaders(dpopSession))) !== 200) {
    throw new Error('sanity check: the DPoP app could not call /api/me');
  }
  const session = await login(run, app, DEMO_ACCOUNTS[0] as DemoAccount);
  const token = await app.child.call<string | null>('accessToken', session.sid);
  if (!token) throw new Error('no access token for the logged-in session');
  const bearer = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const directUrl = `${run.apiOrigin}/me`;
  const proxiedUrl = `${app.loadOrigin}/api/me`;
  for (const [url, headers] of [
    [directUrl, bearer],
    [proxiedUrl, apiHeaders(session)],
  ] as const) {
    const status = await statusOf(url, headers);
    if (status !== 200) throw new Error(`sanity check: ${url} answered ${status}`);
  }
  const floor = await startFloor('run1', run, token);
  const redisApp = run.instances.find((instance) => instance.name === 'app-redis');
  const redisSession = redisApp ? await login(run, redisApp, DEMO_ACCOUNTS[0] as DemoAccount) : undefined;
  const uncachedApp = run.instances.find((instance) => instance.name === 'app-redis-nocache');
  const uncachedSession = uncachedApp ? await login(run, uncachedApp, DEMO_ACCOUNTS[0] as DemoAccount) : undefined;
  const demo = run.demo;
  const targets: Target[] = [
    {
      label: 'bare node:http server (calibration, in A)',
      url: `${run.calibrationOrigin}/`,
      headers: {},
      app: app.child,
      demo,
      seconds: CALIBRATION_S,
      noApp: true,
    },
    { label: 'direct GET /me (bearer)', url: directUrl, headers: bearer, app: app.child, demo, seconds: MEASURE_S },
    {
      label: 'bare undici proxy to /me (floor, P)',
      url: floor.url,
      headers: {},
      app: floor.child,
      demo,
      // As long as the app's rows: every app figure is also reported as a same-round ratio to this one.
      seconds: MEASURE_S,
    },
    {
      label: 'proxied GET /api/me (cookie + X-CSRF)',
      url: proxiedUrl,
      headers: apiHeaders(session),
      app: app.child,
      demo,
      seconds: MEASURE_S,
    },
    {
      label: 'proxied GET /api/me, DPoP (OIDC_DPOP=on)',
      url: `${dpopApp.loadOrigin}/api/me`,
      headers: apiHeaders(dpopSession),
      app: dpopApp.child,
      demo,
      seconds: MEASURE_S,
    },
    ...(redisApp && redisSession
      ? [
          {
            label: 'proxied GET /api/me, Redis store',
            url: `${redisApp.loadOrigin}/api/me`,
            headers: apiHeaders(redisSession),
            app: redisApp.child,
            demo,
            seconds: MEASURE_S,
            ...(redis ? { extraCpu: () => redis.cpuMicros() } : {}),
          },
        ]
      : []),
    ...(uncachedApp && uncachedSession
      ? [
          {
            label: 'proxied GET /api/me, Redis store, REDIS_CLIENT_CACHE=off',
            url: `${uncachedApp.loadOrigin}/api/me`,
            headers: apiHeaders(uncachedSession),
            app: uncachedApp.child,
            demo,
            seconds: MEASURE_S,
            ...(redis ? { extraCpu: () => redis.cpuMicros() } : {}),
          },
        ]
      : []),
  ];
  const [calibration, direct, floorRow, proxied, dpopProxied, redisProxied, redisUncached] = (await measureInterleaved(
    targets,
  )) as [Throughput, Throughput, Throughput, Throughput, Throughput, Throughput?, Throughput?];
  await stopChild(floor.child);
  return {
    calibration,
    direct,
    floor: floorRow,
    proxied,
    dpopProxied,
    session,
    ...(redisProxied ? { redisProxied } : {}),
    ...(redisUncached ? { redisUncached } : {}),
  };
}

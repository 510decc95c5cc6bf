/**
 * Health probes. `/healthz`: the process is alive. `/readyz`: it can serve
 * logins (provider metadata loaded, session store answering) and is not
 * shutting down. Both are exact paths, unauthenticated, and reveal no versions.
 */
import { Router } from 'express';
import type { AppDeps } from '../../services.js';

export function healthRoutes({ provider, storeHealth, lifecycle }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const store = await storeHealth().then(
      () => 'ok',
      () => 'unavailable',
    );
    const checks = {
      provider: provider.ready ? 'ok' : 'unavailable',
      sessionStore: store,
      shuttingDown: lifecycle.shuttingDown,
    };
    const ready = checks.provider === 'ok' && store === 'ok' && !lifecycle.shuttingDown;
    res.setHeader('Cache-Control', 'no-store');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return router;
}

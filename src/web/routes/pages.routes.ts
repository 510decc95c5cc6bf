/** GET /, /profile, /tokens: the pages a signed-in person reads. */
import { Router } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { AppDeps } from '../../services.js';
import { buildTimeline } from '../../flow/timeline.js';
import { describeClientAuthentication } from '../../oidc/client-keys.js';
import { LoginRequiredError } from '../../errors.js';
import { requireLogin } from '../require-login.js';
import { noStore } from '../security-headers.js';
import { listUserLogins } from '../../tokens/user-logins.js';

/** Header and claims of a JWT, or `opaque` when the token is not one. Never the token itself. */
function decodeForDisplay(label: string, token: string | undefined) {
  if (!token) return null;
  try {
    return { label, opaque: false, header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return { label, opaque: true, header: {}, claims: {} };
  }
}

export function pageRoutes({ config, tokens, flowLog, logins, clientKeys }: AppDeps): Router {
  const router = Router();
  const clientAuthentication = describeClientAuthentication(config.oidc.authMethod, clientKeys);
  const timelineContext = {
    clientAuthentication: { method: config.oidc.authMethod, description: clientAuthentication },
  };

  router.get('/', noStore, (req, res) => {
    // Back from RP-initiated logout with our `state`: show a clean URL.
    if (Object.keys(req.query).length > 0) {
      res.redirect(303, '/');
      return;
    }
    res.render('home', { active: 'home' });
  });

  router.get('/profile', noStore, requireLogin, async (req, res) => {
    const sessions = await listUserLogins(req.session.user?.sub ?? '', req.sessionID, { logins, tokens });
    res.render('profile', { active: 'profile', authenticatedAt: req.session.authenticatedAt, sessions });
  });

  router.get('/console', noStore, requireLogin, (_req, res) => {
    res.render('console', { active: 'console' });
  });

  router.get('/flow', noStore, requireLogin, async (req, res) => {
    const [trace, events] = await Promise.all([flowLog.loginTrace(req.sessionID), flowLog.list(req.sessionID)]);
    res.render('flow', {
      active: 'flow',
      steps: buildTimeline(trace, events, timelineContext),
      preset: config.oidc.provider,
    });
  });

  router.get('/tokens', noStore, requireLogin, async (req, res) => {
    const held = await tokens.peek(req.sessionID);
    if (!held) throw new LoginRequiredError();
    res.render('tokens', {
      active: 'tokens',
      tokens: held,
      clientAuthentication,
      now: Date.now(),
      scopes: (held.scope ?? '').split(' ').filter(Boolean),
      decoded: [decodeForDisplay('ID token', held.idToken), decodeForDisplay('Access token', held.accessToken)].filter(
        (part) => part !== null,
      ),
    });
  });

  return router;
}

/** GET /, /profile, /tokens: the pages a signed-in person reads. */
import { Router } from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { AppDeps } from '../../services.js';
import { buildTimeline } from '../../flow/timeline.js';
import { describeClientAuthentication } from '../../oidc/client-keys.js';
import { LoginRequiredError } from '../../errors.js';
import { DEFAULT_API_NAME } from '../../config/apis.js';
import { requireLogin } from '../require-login.js';
import { noStore } from '../security-headers.js';
import { listUserLogins } from '../../tokens/user-logins.js';
import { apiTokenStatuses } from '../../tokens/api-token-status.js';
import type { Translate } from '../../i18n/catalogues.js';
import type { Formatters } from '../../i18n/format.js';

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
  const clientAuthentication = (t: Translate) => describeClientAuthentication(t, config.oidc.authMethod, clientKeys);

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
    // The selector's choices: every configured API, where it is mounted and whose token it gets.
    const apis = config.apis.map(({ name, mountPath, token }) => ({ name, mountPath, token }));
    res.render('console', { active: 'console', apis });
  });

  router.get('/flow', noStore, requireLogin, async (req, res) => {
    const [trace, events] = await Promise.all([flowLog.loginTrace(req.sessionID), flowLog.list(req.sessionID)]);
    const language = { t: res.locals.t as Translate, fmt: res.locals.fmt as Formatters };
    const timelineContext = {
      clientAuthentication: { method: config.oidc.authMethod, description: clientAuthentication(language.t) },
    };
    res.render('flow', {
      active: 'flow',
      steps: buildTimeline(language, trace, events, timelineContext),
      preset: config.oidc.provider,
    });
  });

  router.get('/tokens', noStore, requireLogin, async (req, res) => {
    const t = res.locals.t as Translate;
    const stored = await tokens.peek(req.sessionID);
    if (!stored) throw new LoginRequiredError();
    // The DPoP private key never reaches a template: the page shows its thumbprint only.
    const { dpopKey, ...held } = stored;
    // One access token per API: the default API's from the login, each named API's from its own grant.
    const named = config.apis.filter((api) => api.name !== DEFAULT_API_NAME);
    const apis = apiTokenStatuses(named, stored).map((status) => ({
      name: status.name,
      target: status.target ?? '',
      kind: status.token,
      refused: status.refused,
      token: status.accessToken,
    }));
    const defaultLabel = named.length > 0 ? t('pages:tokens.access_token_default') : t('pages:tokens.access_token');
    res.render('tokens', {
      active: 'tokens',
      tokens: held,
      clientAuthentication: clientAuthentication(t),
      dpopJkt: dpopKey?.jkt,
      now: Date.now(),
      scopes: (held.scope ?? '').split(' ').filter(Boolean),
      apis,
      decoded: [
        decodeForDisplay(t('pages:tokens.id_token'), held.idToken),
        decodeForDisplay(defaultLabel, held.accessToken),
        ...named.map((api) =>
          decodeForDisplay(
            t('pages:tokens.access_token_named', { name: api.name, mountPath: api.mountPath }),
            held.apiTokens?.[api.name]?.accessToken,
          ),
        ),
      ].filter((part) => part !== null),
    });
  });

  return router;
}

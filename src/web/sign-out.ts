/**
 * How a browser leaves: its login ends (TokenService.endLogin revokes the
 * refresh token), its session is destroyed and its cookie cleared, and it is
 * sent to the provider's logout (RP-initiated logout) when there is one. The
 * one way out for POST /logout and "sign out of all devices".
 */
import type { Request, Response } from 'express';
import type * as client from 'openid-client';
import type { AppDeps } from '../services.js';
import { chooseLanguage } from '../i18n/languages.js';
import { buildLogoutRedirect } from '../oidc/logout.js';
import { sessionCookieOptions } from '../session/session-cookie.js';
import { destroySession } from '../session/session-middleware.js';

export async function signOutHere(
  req: Request,
  res: Response,
  { config, provider, tokens }: Pick<AppDeps, 'config' | 'provider' | 'tokens'>,
): Promise<void> {
  const held = await tokens.endLogin(req.sessionID);
  let configuration: client.Configuration | undefined;
  try {
    configuration = provider.get();
  } catch {
    configuration = undefined; // Provider down: still end our session.
  }
  await destroySession(req);
  res.clearCookie(config.session.cookieName, sessionCookieOptions(config.session));
  const target = configuration
    ? buildLogoutRedirect(configuration, {
        idToken: held?.idToken,
        postLogoutRedirectUri: config.postLogoutRedirectUri,
        clientId: config.oidc.clientId,
        style: config.oidc.logout,
        sendIdTokenHint: config.oidc.logoutIdTokenHint,
        uiLocales: chooseLanguage(req),
      })
    : '/';
  res.redirect(303, target);
}

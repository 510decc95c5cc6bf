/**
 * The demo management API: a small stand-in for a provider's management API (Auth0's
 * Management API v2 at `/api/v2/`, Logto's at `/api`), served under `/api/v2/` on the demo API's
 * server. Like those, it accepts only machine (client-credentials, RFC 6749 §4.4) tokens for its
 * own audience, each route needing its scope:
 *
 *   GET /api/v2/clients        read:clients   the applications registered at the demo provider
 *   GET /api/v2/users/{id}     read:users     one demo account's profile (never its password)
 *
 * A user's token is refused (403, wrong kind) even with the right audience: an app that lets
 * browsers reach such an API must send its own token, which is what `API_<NAME>_TOKEN=client`
 * does. Tokens are checked by access-token.ts, refusals worded by challenges.ts.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import { findDemoAccountBySub } from '../demo-accounts.js';
import {
  bearerAuthentication,
  createTokenVerifier,
  type AccessTokenInfo,
  type TokenVerifierOptions,
} from './access-token.js';
import { sendInsufficientScope, sendJson, sendWrongKind } from './challenges.js';
import { DEMO_MANAGEMENT_PATH } from './paths.js';
import { MANAGEMENT_SCOPES } from './scopes.js';
import { DPoPProofChecker } from './dpop.js';

export interface ManagementApiOptions extends TokenVerifierOptions {
  /** The applications the demo provider knows: what `GET /api/v2/clients` lists. */
  readonly clients: ReadonlyArray<{
    readonly clientId: string;
    readonly clientName?: string;
    readonly grantTypes: readonly string[];
  }>;
  readonly onError?: (error: unknown) => void;
}

const [READ_CLIENTS, READ_USERS] = MANAGEMENT_SCOPES;

/** The management API as an Express app, for requests whose path starts with `/api/v2/`. */
export function createManagementApi(options: ManagementApiOptions): Express {
  const tokens = new WeakMap<Request, AccessTokenInfo>();
  // Client-credentials tokens are bearer tokens here; a DPoP-bound one would be checked like the demo API's.
  const authenticate = bearerAuthentication(
    createTokenVerifier(options),
    tokens,
    new DPoPProofChecker({ requireNonce: false }),
    options.onError,
  );
  const auth = (req: Request): AccessTokenInfo => {
    const info = tokens.get(req);
    if (!info) throw new Error('route reached without a verified token');
    return info;
  };
  const machineWith =
    (scope: string): RequestHandler =>
    (req, res, next) => {
      const info = auth(req);
      if (info.kind !== 'machine') sendWrongKind(res, 'machine');
      else if (!info.scopes.has(scope)) sendInsufficientScope(res, scope);
      else next();
    };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  const api = express.Router();
  api.use(authenticate);
  api.get('/clients', machineWith(READ_CLIENTS), (_req, res) => {
    res.json(
      options.clients.map((client) => ({
        client_id: client.clientId,
        name: client.clientName ?? client.clientId,
        grant_types: client.grantTypes,
      })),
    );
  });
  api.get('/users/:id', machineWith(READ_USERS), (req, res) => {
    const account = findDemoAccountBySub(String(req.params['id']));
    if (!account) {
      sendJson(res, 404, { error: 'not_found', error_description: 'No such user.' });
      return;
    }
    const { sub, name, email, email_verified, preferred_username } = account;
    res.json({ user_id: sub, name, email, email_verified, username: preferred_username });
  });
  api.use((_req, res) => {
    sendJson(res, 404, { error: 'not_found', error_description: 'No such route.' });
  });
  app.use(DEMO_MANAGEMENT_PATH.replace(/\/$/, ''), api);
  return app;
}

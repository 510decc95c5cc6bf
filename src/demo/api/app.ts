/**
 * The demo downstream API: an OAuth 2.0 resource server that accepts JWT access
 * tokens (RFC 9068) sent as bearer tokens (RFC 6750) or, when bound to a key,
 * with a DPoP proof of that key (RFC 9449). access-token.ts checks
 * the token; the routes here check the kind of caller (user or machine) and
 * the route's scope (RFC 6750 §3.1 `insufficient_scope`, RFC 9068 §2.2.3
 * `scope` claim), and challenges.ts words every refusal.
 *
 * - `Cache-Control: no-store` on every response (the data is personal), no
 *   CORS headers at all (only the BFF, server-side, calls this API), no
 *   `X-Powered-By`, no stack traces.
 */
import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { bearerAuthentication, createTokenVerifier, type AccessTokenInfo } from './access-token.js';
import { DPoPProofChecker } from './dpop.js';
import { sendChallenge, sendInsufficientScope, sendJson, sendWrongKind } from './challenges.js';
import { z } from 'zod';
import { DemoDataStore } from './data.js';
import { API_SCOPES, type ApiScope } from './scopes.js';
import type { DemoDataStoreOptions } from './data.js';

/** Largest JSON body accepted; beyond it the answer is 413. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Configuration of {@link createDemoApi}. */
export interface DemoApiOptions {
  /** Expected `iss`, compared exactly, e.g. `http://127.0.0.1:4001`. */
  issuer: string;
  /** This API's identifier, expected in `aud`, e.g. `https://demo-api.example/`. */
  audience: string;
  /** The provider's JWKS. Cached, re-fetched on an unknown `kid`, fetched with a timeout. */
  jwksUri: URL;
  /** Seconds of clock skew tolerated on `exp`, `nbf`. Default 5. */
  clockToleranceSeconds?: number;
  /**
   * Minimum milliseconds between two JWKS fetches triggered by an unknown `kid`
   * (jose `cooldownDuration`). Default 30,000: it stops a flood of tokens with
   * made-up `kid`s from hammering the provider. Tests set 0 to see rotation at once.
   */
  jwksCooldownMs?: number;
  /** Milliseconds a JWKS fetch may take (jose `timeoutDuration`). Default 5,000. */
  jwksTimeoutMs?: number;
  /**
   * Demand a nonce this API issued in every DPoP proof (RFC 9449 §9), so a client's nonce retry
   * can be seen. Default: no.
   */
  dpopNonce?: boolean;
  /** Limits of the in-memory data (defaults: 1,000 users × 100 items). */
  data?: DemoDataStoreOptions;
  /** Called with any unexpected error (the caller's logger). The response is a bare 500 either way. */
  onError?: (error: unknown) => void;
}

/** What a route knows about the caller: the verified claims, never the token. */
const appointmentInput = z.strictObject({
  title: z.string().trim().min(1).max(100),
  // zod checks the calendar too (2030-02-30 is refused), not only the shape.
  startsAt: z.iso.datetime({ offset: true }),
  with: z.string().trim().max(100).optional(),
});

/** `startsAt: Invalid ISO datetime; title: ...` — field names and zod's messages, never the input values. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/**
 * Builds the demo API as an Express app. It never listens: the caller does
 * `http.createServer(app).listen(0, '127.0.0.1')`.
 *
 * Routes: `GET /health` (no auth); user routes `GET|POST /appointments`,
 * `DELETE /appointments/:id`, `GET /contacts`, `GET /admin/audit-log`;
 * machine route `GET /reports/daily`; `GET /me` for any valid token.
 */
export function createDemoApi(options: DemoApiOptions): Express {
  const store = new DemoDataStore(options.data);
  /** Verified claims per request; a WeakMap rather than widening Express' global `Request` type. */
  const tokens = new WeakMap<Request, AccessTokenInfo>();
  const dpop = new DPoPProofChecker({ requireNonce: options.dpopNonce ?? false });
  const authenticate = bearerAuthentication(createTokenVerifier(options), tokens, dpop, options.onError);

  const auth = (req: Request): AccessTokenInfo => {
    const info = tokens.get(req);
    // Only reachable if a route were registered before `authenticate`: fail closed.
    if (!info) throw new Error('route reached without a verified token');
    return info;
  };

  const requireKind =
    (kind: 'user' | 'machine'): RequestHandler =>
    (req, res, next) => {
      if (auth(req).kind !== kind) {
        sendWrongKind(res, kind);
        return;
      }
      next();
    };

  const requireScope =
    (scope: ApiScope): RequestHandler =>
    (req, res, next) => {
      if (!auth(req).scopes.has(scope)) {
        sendInsufficientScope(res, scope);
        return;
      }
      next();
    };

  const requireJsonBody: RequestHandler = (req, res, next) => {
    if (!req.is('application/json')) {
      sendJson(res, 415, { error: 'unsupported_media_type', error_description: 'Send the body as application/json.' });
      return;
    }
    next();
  };
  // Parsed only after the token, kind and scope checks have passed.
  const jsonBody = express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: 'application/json' });

  const user = requireKind('user');
  const machine = requireKind('machine');

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Everything below needs a valid token, including unknown paths (a 404 is
  // only shown to authenticated callers, so the route list is not probeable).
  app.use(authenticate);

  app.get('/me', (req, res) => {
    const { claims, kind, clientId } = auth(req);
    res.json({
      sub: claims.sub,
      client_id: clientId,
      scope: typeof claims['scope'] === 'string' ? claims['scope'] : '',
      aud: claims.aud,
      iss: claims.iss,
      kind,
      exp: claims.exp,
    });
  });

  app.get('/appointments', user, requireScope(API_SCOPES.readAppointments), (req, res) => {
    res.json({ appointments: store.listAppointments(auth(req).sub) });
  });

  app.post('/appointments', user, requireScope(API_SCOPES.writeAppointments), requireJsonBody, jsonBody, (req, res) => {
    const body: unknown = req.body;
    if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token')) {
      // RFC 6750 §2: one method per request, and this API only takes the header one.
      sendChallenge(res, 400, 'invalid_request', 'Do not send the access token in the body (RFC 6750 section 2.1).');
      return;
    }
    const parsed = appointmentInput.safeParse(body);
    if (!parsed.success) {
      sendJson(res, 400, { error: 'invalid_request', error_description: describeIssues(parsed.error) });
      return;
    }
    res.status(201).json(store.createAppointment(auth(req).sub, parsed.data));
  });

  app.delete('/appointments/:id', user, requireScope(API_SCOPES.writeAppointments), (req, res) => {
    const param = req.params['id'];
    const id = typeof param === 'string' ? param : '';
    if (!store.deleteAppointment(auth(req).sub, id)) {
      sendJson(res, 404, { error: 'not_found', error_description: 'No such appointment.' });
      return;
    }
    res.status(204).end();
  });

  app.get('/contacts', user, requireScope(API_SCOPES.readContacts), (req, res) => {
    res.json({ contacts: store.listContacts(auth(req).sub) });
  });

  app.get('/admin/audit-log', user, requireScope(API_SCOPES.adminAudit), (_req, res) => {
    res.json({ entries: store.auditLog() });
  });

  // The "statistics service" of the Logto M2M guide: a machine reads aggregate numbers.
  app.get('/reports/daily', machine, requireScope(API_SCOPES.readReports), (req, res) => {
    res.json({ ...store.dailyStatistics(), generatedFor: auth(req).clientId });
  });

  app.use((_req: Request, res: Response) => {
    sendJson(res, 404, { error: 'not_found', error_description: 'No such route.' });
  });

  const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const type =
      typeof error === 'object' && error !== null && 'type' in error ? (error as { type: unknown }).type : undefined;
    // body-parser errors: fixed texts, as its messages can quote the body.
    switch (type) {
      case 'entity.parse.failed':
        sendJson(res, 400, { error: 'invalid_json', error_description: 'The body is not valid JSON.' });
        return;
      case 'entity.too.large':
        sendJson(res, 413, {
          error: 'payload_too_large',
          error_description: `The body is larger than ${BODY_LIMIT_BYTES / 1024} kB.`,
        });
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendJson(res, 415, { error: 'unsupported_media_type', error_description: 'Send the body as UTF-8 JSON.' });
        return;
      case 'request.aborted':
      case 'request.size.invalid':
        sendJson(res, 400, { error: 'invalid_request', error_description: 'The body could not be read.' });
        return;
      default:
        options.onError?.(error);
        sendJson(res, 500, { error: 'server_error', error_description: 'Something went wrong.' });
    }
  };
  app.use(errorHandler);

  return app;
}

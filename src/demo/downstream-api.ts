/**
 * The demo downstream API: an OAuth 2.0 resource server that accepts JWT access
 * tokens (RFC 9068) sent as bearer tokens (RFC 6750).
 *
 * What it checks, in this order, on every route except `GET /health`, before
 * anything else is done with the request (the body is not even read):
 *
 * 1. The token arrives in the `Authorization: Bearer` header only (RFC 6750
 *    §2.1). `access_token` in the query (§2.3) is refused with 400
 *    `invalid_request`: it would land in logs and `Referer` headers (§5.3).
 *    Form bodies (§2.2) are never parsed for a token, so such a request simply
 *    has no credentials (401 without an error code, §3.1).
 * 2. The JWT signature, against the provider's JWKS (jose `createRemoteJWKSet`:
 *    cached, re-fetched when an unknown `kid` shows up after key rotation,
 *    with a timeout). Only asymmetric algorithms are accepted (RFC 9068 §4:
 *    the resource server MUST reject `none`; HS256 would let anyone holding a
 *    client secret, or the public key, forge tokens).
 * 3. `typ` is `at+jwt` (RFC 9068 §2.1, §4) or plain `JWT` (Auth0's default
 *    profile). Accepting `JWT` cannot let an ID token through: its `aud` is the
 *    client id, never this API's identifier (checked next).
 * 4. `iss` equals the configured issuer exactly, `aud` contains this API's
 *    identifier, `exp` is present and not past, `nbf` not in the future
 *    (RFC 9068 §4), with a small clock tolerance. `sub` is required
 *    (RFC 9068 §2.2) because all data is keyed by it.
 * 5. The kind of caller (user or machine) and the route's scope (RFC 6750 §3.1
 *    `insufficient_scope`, RFC 9068 §2.2.3 `scope` claim).
 *
 * Errors follow RFC 6750 §3: `WWW-Authenticate: Bearer realm="demo-api"` plus
 * `error` / `error_description` / `scope` attributes, and a JSON body
 * `{ error, error_description }`. The token itself is never echoed, logged or
 * stored.
 *
 * Other choices:
 * - If the JWKS cannot be fetched (provider down, timeout), the answer is 503
 *   `temporarily_unavailable`, not 401: the token may be perfectly good, and a
 *   401 would push the BFF to throw away a valid session.
 * - `Cache-Control: no-store` on every response (the data is personal), no
 *   CORS headers at all (only the BFF, server-side, calls this API), no
 *   `X-Powered-By`, no stack traces.
 */
import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { z } from 'zod';
import { DemoDataStore } from './api-data.js';
import { API_SCOPES, type ApiScope } from './scopes.js';
import type { DemoDataStoreOptions } from './api-data.js';

/** Signature algorithms accepted: asymmetric only (RFC 9068 §4; RFC 8725 §3.1-3.2). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** `realm` of every `WWW-Authenticate` challenge (RFC 6750 §3). */
export const REALM = 'demo-api';

/** Largest JSON body accepted; beyond it the answer is 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

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
  /** Limits of the in-memory data (defaults: 1,000 users × 100 items). */
  data?: DemoDataStoreOptions;
  /** Called with any unexpected error (the caller's logger). The response is a bare 500 either way. */
  onError?: (error: unknown) => void;
}

/** What a route knows about the caller: the verified claims, never the token. */
export interface AccessTokenInfo {
  readonly sub: string;
  /** `client_id` (RFC 9068 §2.2), or `azp` where a provider (Auth0) only sends that. */
  readonly clientId: string | null;
  readonly scopes: ReadonlySet<string>;
  readonly kind: 'user' | 'machine';
  readonly claims: JWTPayload;
}

/** JSON error body of every refusal. */
interface ErrorBody {
  error: string;
  error_description: string;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
/** Generous for a JWT (a few hundred bytes to a few kB); stops absurd inputs early. */
const MAX_TOKEN_LENGTH = 8192;
/** RFC 6750 §2.1: `Bearer 1*SP b64token`; the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Characters allowed in `error_description` and `scope` attribute values
 * (RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E, i.e. printable ASCII without `"` and `\`).
 */
function headerSafe(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}

function sendJson(res: Response, status: number, body: ErrorBody | Record<string, unknown>): void {
  res.status(status).json(body);
}

/** 401 with no error code: the request carried no (supported) credentials (RFC 6750 §3.1). */
function sendMissingToken(res: Response): void {
  res.set('WWW-Authenticate', `Bearer realm="${REALM}"`);
  sendJson(res, 401, {
    error: 'missing_token',
    error_description: 'This API needs an access token in the Authorization header (Bearer).',
  });
}

/** 400/401 with an RFC 6750 §3.1 error code in the challenge and the body. */
function sendChallenge(
  res: Response,
  status: 400 | 401,
  error: 'invalid_request' | 'invalid_token',
  description: string,
): void {
  res.set(
    'WWW-Authenticate',
    `Bearer realm="${REALM}", error="${error}", error_description="${headerSafe(description)}"`,
  );
  sendJson(res, status, { error, error_description: description });
}

/** 403 `insufficient_scope` naming the scope needed (RFC 6750 §3.1, §3 `scope` attribute). */
function sendInsufficientScope(res: Response, scope: string): void {
  res.set('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${headerSafe(scope)}"`);
  sendJson(res, 403, {
    error: 'insufficient_scope',
    error_description: `The access token lacks the scope ${scope}.`,
  });
}

/**
 * 403 for the wrong kind of caller (a machine token on a user route or the reverse).
 *
 * RFC 6750 §3.1 registers only three error codes; of those, `insufficient_scope`
 * ("requires higher privileges than provided by the access token") is the
 * closest, so the challenge uses it. The JSON body carries the precise,
 * app-specific code (`user_token_required` / `machine_token_required`), which a
 * client can act on. No `scope` attribute: no scope would fix it.
 */
function sendWrongKind(res: Response, needed: 'user' | 'machine'): void {
  const description =
    needed === 'user'
      ? 'This route serves a signed-in user; a client-credentials (machine) token cannot use it.'
      : 'This route serves machine clients; use a client-credentials token, not a user token.';
  res.set(
    'WWW-Authenticate',
    `Bearer realm="${REALM}", error="insufficient_scope", error_description="${headerSafe(description)}"`,
  );
  sendJson(res, 403, { error: `${needed}_token_required`, error_description: description });
}

/** Token-related jose errors: these mean "this token is not acceptable" (401). */
const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set([
  joseErrors.JWTExpired.code,
  joseErrors.JWTClaimValidationFailed.code,
  joseErrors.JWTInvalid.code,
  joseErrors.JWSInvalid.code,
  joseErrors.JWSSignatureVerificationFailed.code,
  joseErrors.JOSEAlgNotAllowed.code,
  joseErrors.JOSENotSupported.code,
  joseErrors.JWKSNoMatchingKey.code,
  joseErrors.JWKSMultipleMatchingKeys.code,
  joseErrors.JWKInvalid.code,
  joseErrors.JWEInvalid.code,
]);

/** Our own `invalid_token` reasons, found after jose has verified the token. */
class TokenRejected extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'TokenRejected';
  }
}

/**
 * A fixed, human description of why a token was refused. Never jose's message:
 * it may quote claim values and contains `"` characters that are not allowed
 * in a challenge attribute (RFC 6750 §3).
 */
function describeTokenError(error: unknown): string | undefined {
  if (error instanceof TokenRejected) return error.description;
  if (!(error instanceof joseErrors.JOSEError) || !TOKEN_ERROR_CODES.has(error.code)) return undefined;
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = headerSafe(error.claim).slice(0, 20);
    if (error.reason === 'missing') return `The access token has no ${claim} claim.`;
    switch (error.claim) {
      case 'aud':
        return 'The access token is not meant for this API (aud).';
      case 'iss':
        return 'The access token comes from an issuer this API does not trust (iss).';
      case 'nbf':
        return 'The access token is not valid yet (nbf).';
      default:
        return `The access token has an invalid ${claim} claim.`;
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return 'The access token is signed with an algorithm this API does not accept.';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return 'The access token is signed with a key this API does not know.';
  }
  return 'The access token is malformed.';
}

/** RFC 9068 §4: `typ` must be `at+jwt` / `application/at+jwt`; `JWT` is also accepted (see the file comment). */
function acceptableTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  // RFC 7515 §4.1.9: compared case-insensitively, `application/` may be omitted.
  const normalized = typ.toLowerCase().replace(/^application\//, '');
  return normalized === 'at+jwt' || normalized === 'jwt';
}

/** The `access_token` query parameter, if any (RFC 6750 §2.3). Read from the raw URL, whatever the query parser. */
function hasQueryToken(req: Request): boolean {
  const queryStart = req.originalUrl.indexOf('?');
  if (queryStart === -1) return false;
  return new URLSearchParams(req.originalUrl.slice(queryStart + 1)).has('access_token');
}

/**
 * Machine (client-credentials) tokens: `sub` equals `client_id` (oidc-provider,
 * Logto; RFC 9068 §2.2 says `sub` SHOULD identify the client when no resource
 * owner is involved) or `gty` is `client-credentials` (Auth0, whose `sub` is
 * `<client_id>@clients`).
 */
function kindOf(claims: JWTPayload, clientId: string | null): 'user' | 'machine' {
  if (claims['gty'] === 'client-credentials') return 'machine';
  if (clientId !== null && claims.sub === clientId) return 'machine';
  return 'user';
}

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
  const jwks = createRemoteJWKSet(options.jwksUri, {
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    ...(options.jwksCooldownMs !== undefined ? { cooldownDuration: options.jwksCooldownMs } : {}),
  });
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const store = new DemoDataStore(options.data);
  /** Verified claims per request; a WeakMap rather than widening Express' global `Request` type. */
  const tokens = new WeakMap<Request, AccessTokenInfo>();

  const auth = (req: Request): AccessTokenInfo => {
    const info = tokens.get(req);
    // Only reachable if a route were registered before `authenticate`: fail closed.
    if (!info) throw new Error('route reached without a verified token');
    return info;
  };

  async function verify(token: string): Promise<AccessTokenInfo> {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...ACCEPTED_ALGORITHMS],
      clockTolerance,
      // RFC 9068 §2.2: exp and sub are REQUIRED (iss and aud are required by the options above).
      requiredClaims: ['exp', 'sub'],
    });
    // jose's `typ` option takes a single value; two are accepted here, so it is checked by hand.
    if (!acceptableTyp(protectedHeader.typ)) {
      throw new TokenRejected('The access token type (typ) must be at+jwt or JWT.');
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new TokenRejected('The access token has an invalid sub claim.');
    }
    const clientIdClaim = typeof payload['client_id'] === 'string' ? payload['client_id'] : payload['azp'];
    const clientId = typeof clientIdClaim === 'string' ? clientIdClaim : null;
    const scope = typeof payload['scope'] === 'string' ? payload['scope'] : '';
    return {
      sub: payload.sub,
      clientId,
      scopes: new Set(scope.split(' ').filter((s) => s.length > 0)),
      kind: kindOf(payload, clientId),
      claims: payload,
    };
  }

  /** Runs before anything else on every protected route (see the file comment). */
  const authenticate: RequestHandler = async (req, res, next) => {
    if (hasQueryToken(req)) {
      sendChallenge(
        res,
        400,
        'invalid_request',
        'Send the access token in the Authorization header (RFC 6750 section 2.1), never in the URL.',
      );
      return;
    }
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      sendMissingToken(res);
      return;
    }
    const scheme = header.trimStart().split(' ', 1)[0] ?? '';
    if (scheme.toLowerCase() !== 'bearer') {
      // Another scheme (Basic, DPoP...) is "an unsupported authentication method": no error code (§3.1).
      sendMissingToken(res);
      return;
    }
    const match = BEARER_CREDENTIALS.exec(header.trim());
    const token = match?.[1];
    if (token === undefined) {
      sendChallenge(res, 400, 'invalid_request', 'The Authorization header is not of the form: Bearer <token>.');
      return;
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      sendChallenge(res, 401, 'invalid_token', 'The access token is too long.');
      return;
    }
    let info: AccessTokenInfo;
    try {
      info = await verify(token);
    } catch (error) {
      const description = describeTokenError(error);
      if (description !== undefined) {
        sendChallenge(res, 401, 'invalid_token', description);
        return;
      }
      // JWKS unreachable, timed out, or not valid JSON: the token was not judged at all.
      options.onError?.(error);
      res.set('Retry-After', '5');
      sendJson(res, 503, {
        error: 'temporarily_unavailable',
        error_description: 'The API cannot check access tokens right now. Please try again shortly.',
      });
      return;
    }
    tokens.set(req, info);
    next();
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

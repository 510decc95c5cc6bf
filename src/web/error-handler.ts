/**
 * The only error handler: every failure ends here and becomes a clear page
 * (HTML) or JSON (under /api) with a stable error code. Never a stack trace;
 * 5xx details go to the log only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, errorSummary, LoginRequiredError } from '../errors.js';
import type { Logger } from '../logger.js';
import { clearUser } from '../session/session-data.js';
import { REQUEST_ID_HEADER } from './request-log.js';
import { localize, type Localization } from './localization.js';
import { escapeHtml, htmlTranslator, translator } from '../i18n/catalogues.js';
import { chooseLanguage } from '../i18n/languages.js';

/** The error page's heading per code (`errors:heading.*`); other codes get a general one by status. */
const HEADINGS: Record<string, string> = {
  provider_error: 'provider_error',
  provider_unavailable: 'provider_unavailable',
  provider_timeout: 'provider_timeout',
  session_store_unavailable: 'session_store_unavailable',
  not_found: 'not_found',
  csrf_check_failed: 'csrf_check_failed',
  rate_limited: 'rate_limited',
  signed_out_at_provider: 'signed_out',
  signed_out_elsewhere: 'signed_out',
  session_not_found: 'session_not_found',
};

/** The spec section behind an error, with its label's key (`errors:spec.*`). */
const SPEC_LINKS: Record<string, { href: string; label: string }> = {
  provider_error: { href: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1', label: 'provider_error' },
  invalid_state: { href: 'https://www.rfc-editor.org/rfc/rfc6749#section-10.12', label: 'state' },
  missing_state: { href: 'https://www.rfc-editor.org/rfc/rfc6749#section-10.12', label: 'state' },
  duplicate_parameter: { href: 'https://www.rfc-editor.org/rfc/rfc6749#section-3.1', label: 'duplicate_parameter' },
  token_exchange_failed: { href: 'https://www.rfc-editor.org/rfc/rfc6749#section-5.2', label: 'token_exchange_failed' },
};

const LOGIN_RETRY_CODES = new Set([
  'provider_error',
  'provider_timeout',
  'invalid_state',
  'missing_state',
  'login_expired',
  'missing_code',
  'duplicate_parameter',
  'token_exchange_failed',
  'missing_id_token',
  'provider_unavailable',
  'signed_out_at_provider',
  'signed_out_elsewhere',
]);

/** `/api/*` and the pages' own JSON endpoints `/session/*` always answer errors in JSON; elsewhere, by `Accept`. */
export function wantsJson(req: Request): boolean {
  return (
    req.path.startsWith('/api/') ||
    req.path === '/api' ||
    req.path.startsWith('/session/') ||
    (!req.accepts('html') && Boolean(req.accepts('json')))
  );
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err); // Express closes the connection.
      return;
    }
    const known = toAppError(err);
    const log = (req as { log?: Logger }).log ?? logger;
    logError(log, known, err);
    if (wantsJson(req)) {
      sendJsonError(req, res, known);
      return;
    }
    for (const [name, value] of Object.entries(known.headers)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    const { lang, t } = localize(req, res);
    // The language switch on an error page goes back to the path without its query: the query of a
    // failed callback holds a code and a state, which never go into a page.
    res.locals.languageSwitch.returnTo = req.method === 'GET' ? req.path : '/';
    const requestId = String(res.getHeader(REQUEST_ID_HEADER) ?? '');
    // A page that needs a login sends the visitor to log in and brings them back.
    if (known instanceof LoginRequiredError && req.method === 'GET') {
      res.redirect(303, `/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    const heading = t(
      `errors:heading.${HEADINGS[known.code] ?? (known.status >= 500 ? 'server_error' : 'client_error')}`,
    );
    const message = known.describe(t);
    const spec = SPEC_LINKS[known.code];
    const view = {
      heading,
      message,
      code: known.code,
      details: known.details,
      requestId,
      specLink: spec ? { href: spec.href, label: t(`errors:spec.${spec.label}`) } : null,
      retry: LOGIN_RETRY_CODES.has(known.code) ? '/login' : null,
    };
    res.status(known.status).render('error', view, (renderError: Error | null, html?: string) => {
      if (!renderError && html !== undefined) {
        res.send(html);
        return;
      }
      // The error page itself failed: answer with a minimal page, never Express's stack trace.
      log.error({ err: errorSummary(renderError) }, 'error page failed to render');
      res.type('html').send(minimalErrorPage({ lang, t, heading, message, code: known.code }));
    });
  };
}

interface MinimalErrorPage extends Localization {
  readonly heading: string;
  readonly message: string;
  readonly code: string;
}

function minimalErrorPage({ lang, t, heading, message, code }: MinimalErrorPage): string {
  const codeLine = htmlTranslator(lang)('common:error.code_html', { code });
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>` +
    `<link rel="stylesheet" href="/static/styles.css"></head><body><main class="container narrow"><h1>${escapeHtml(heading)}</h1>` +
    `<p>${escapeHtml(message)}</p><p class="muted small">${codeLine}</p>` +
    `<p><a href="/">${escapeHtml(t('common:actions.back_home'))}</a></p></main></body></html>`
  );
}

export function logError(log: Logger, known: AppError, original: unknown): void {
  if (known.status >= 500) log.error({ code: known.code, err: errorSummary(original) }, 'request failed');
  else log.warn({ code: known.code }, known.publicMessage);
}

/**
 * The JSON error body every API answer uses: `{ error, error_description, request_id }`. The
 * `error` code is a contract and stays as it is; the description is for a person, in their language.
 */
export function sendJsonError(req: IncomingMessage, res: ServerResponse, known: AppError): void {
  for (const [name, value] of Object.entries(known.headers)) res.setHeader(name, value);
  const body = JSON.stringify({
    error: known.code,
    error_description: known.describe(translator(chooseLanguage(req))),
    request_id: String(res.getHeader(REQUEST_ID_HEADER) ?? ''),
  });
  res.writeHead(known.status, {
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser and friends mark client errors with `status`/`type`.
  const status = (err as { status?: unknown; statusCode?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.too.large') return new AppError(413, 'payload_too_large', 'errors:message.payload_too_large');
    return new AppError(status, 'bad_request', 'errors:message.bad_request');
  }
  return new AppError(500, 'internal_error', 'errors:message.internal_error', { cause: err });
}

/**
 * When the login is gone for good (refresh token revoked or expired), forget
 * the user too, so pages and API agree that a new login is needed.
 */
export const forgetEndedLogin: ErrorRequestHandler = (err, req, _res, next) => {
  if (err instanceof LoginRequiredError && req.session?.user) clearUser(req.session);
  next(err);
};

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new AppError(404, 'not_found', 'errors:message.not_found'));
};

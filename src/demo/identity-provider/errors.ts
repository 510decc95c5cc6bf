/**
 * The one error path of the provider's own Express routes (login and consent): every failure
 * becomes the provider's error page with a status and a message that is safe to show, in the
 * page's language. oidc-provider renders its own protocol errors through `renderError`
 * (configuration.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { errors } from 'oidc-provider';

import { translator, type MessageValues } from '../../i18n/catalogues.js';
import { errorPageLocals, pageLanguage, protocolErrorMessage, type PageMessage, type PageRenderer } from './views.js';

/** An error with a status and a sentence of the provider catalogue's errors that is safe to show. */
export class HttpError extends Error {
  readonly publicMessage: PageMessage;

  constructor(
    readonly status: number,
    readonly code: string,
    messageKey: string,
    values?: MessageValues,
  ) {
    const publicMessage = { key: `provider:errors.${messageKey}`, ...(values && { values }) };
    // The English sentence, for stack traces and logs.
    super(translator('en')(publicMessage.key, values));
    this.name = 'HttpError';
    this.publicMessage = publicMessage;
  }
}

/** Last handler of the provider's Express app: errors from our interaction routes only. */
export function errorHandler(pages: PageRenderer, appBaseUrl: string) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const { status, code, message, libraryDetail } = describeError(err);
    if (status >= 500) {
      // A bug, not a user mistake: say so on stderr (without request data, which may hold secrets).
      console.error('demo identity provider: unexpected error', err instanceof Error ? err.message : err);
    }
    // The interaction (and its ui_locales) may be what failed to load: the browser's languages decide.
    const lang = pageLanguage(req, undefined);
    pages
      .renderToExpress(res, status, 'error', lang, errorPageLocals(code, message, appBaseUrl, libraryDetail))
      .catch(() => {
        if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error');
      });
  };
}

function describeError(err: unknown): {
  status: number;
  code: string;
  message: PageMessage;
  libraryDetail?: string;
} {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, message: err.publicMessage };
  }
  if (err instanceof errors.SessionNotFound) {
    return { status: 400, code: 'session_not_found', message: { key: 'provider:errors.session_not_found' } };
  }
  if (err instanceof errors.OIDCProviderError && err.statusCode < 500) {
    return {
      status: err.statusCode,
      code: err.error,
      message: protocolErrorMessage(err.error),
      libraryDetail: err.error_description ?? err.message,
    };
  }
  // body-parser errors (malformed or oversized forms) carry a 4xx `status` and a safe `type`.
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
  if (status >= 400 && status < 500) {
    return { status, code: 'invalid_request', message: { key: 'provider:errors.form_unreadable' } };
  }
  return { status: 500, code: 'server_error', message: { key: 'provider:errors.server_error' } };
}

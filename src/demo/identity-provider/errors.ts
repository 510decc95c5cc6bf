/**
 * The one error path of the provider's own Express routes (login and consent): every failure
 * becomes the provider's error page with a status and a message that is safe to show.
 * oidc-provider renders its own protocol errors through `renderError` (configuration.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { errors } from 'oidc-provider';

import { errorPageLocals, type PageRenderer } from './views.js';

/** An error with a status and a message that is safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly publicMessage: string,
  ) {
    super(publicMessage);
    this.name = 'HttpError';
  }
}

/** Last handler of the provider's Express app: errors from our interaction routes only. */
export function errorHandler(pages: PageRenderer, appBaseUrl: string) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const { status, code, description } = describeError(err);
    if (status >= 500) {
      // A bug, not a user mistake: say so on stderr (without request data, which may hold secrets).
      console.error('demo identity provider: unexpected error', err instanceof Error ? err.message : err);
    }
    pages.renderToExpress(res, status, 'error', errorPageLocals(code, description, appBaseUrl)).catch(() => {
      if (!res.headersSent) res.status(500).type('text/plain').send('Internal Server Error');
    });
  };
}

function describeError(err: unknown): { status: number; code: string; description: string } {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, description: err.publicMessage };
  }
  if (err instanceof errors.SessionNotFound) {
    return {
      status: 400,
      code: 'session_not_found',
      description:
        'This sign-in request has expired or was opened in another browser. Go back to the app and start again.',
    };
  }
  if (err instanceof errors.OIDCProviderError && err.statusCode < 500) {
    return { status: err.statusCode, code: err.error, description: err.error_description ?? err.message };
  }
  // body-parser errors (malformed or oversized forms) carry a 4xx `status` and a safe `type`.
  const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
  if (status >= 400 && status < 500) {
    return { status, code: 'invalid_request', description: 'The form could not be read. Please try again.' };
  }
  return { status: 500, code: 'server_error', description: 'Something went wrong on the identity provider.' };
}

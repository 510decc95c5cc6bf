/**
 * The provider's HTML pages (views/provider/*.ejs), rendered with headers that suit a page
 * holding a login form, for both Express (our interaction routes) and Koa (oidc-provider's own
 * logout and error pages).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import type { Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';

export class PageRenderer {
  readonly #viewsDir: string;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(viewsDir: string, appOrigin: string) {
    this.#viewsDir = viewsDir;
    this.#headers = {
      // No scripts at all; forms may only post here, and the redirect chain that follows a
      // login/consent/logout form ends at the app (CSP3 form-action applies to redirects).
      'Content-Security-Policy': [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        `form-action 'self' ${appOrigin}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      // Keeps the interaction URL from leaking to the app while still sending Origin on our own POSTs.
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
  }

  render(view: string, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(join(this.#viewsDir, `${view}.ejs`), locals);
  }

  async renderToExpress(res: Response, status: number, view: string, locals: Record<string, unknown>): Promise<void> {
    const html = await this.render(view, locals);
    res.status(status).set(this.#headers).type('html').send(html);
  }

  async renderToKoa(
    ctx: KoaContextWithOIDC,
    status: number,
    view: string,
    locals: Record<string, unknown>,
  ): Promise<void> {
    const html = await this.render(view, locals);
    ctx.status = status;
    ctx.set(this.#headers);
    ctx.type = 'html';
    ctx.body = html;
  }
}

export function errorPageLocals(
  code: string,
  description: string | undefined,
  appBaseUrl: string,
): Record<string, unknown> {
  return {
    title: 'Error',
    code,
    description: description ?? 'The request could not be completed.',
    appUrl: `${appBaseUrl}/`,
  };
}

/** views/provider, from src/demo/identity-provider (tsx) or dist/src/demo/identity-provider (compiled). */
export function resolveViewsDir(): string {
  const candidates = ['../../../views/provider', '../../../../views/provider'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(join(dir, 'login.ejs')));
  if (!found) {
    throw new Error(`demo identity provider views not found (looked in ${candidates.join(', ')})`);
  }
  return found;
}

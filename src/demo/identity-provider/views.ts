/**
 * The provider's HTML pages (views/provider/*.ejs), rendered with headers that suit a page
 * holding a login form, for both Express (our interaction routes) and Koa (oidc-provider's own
 * logout and error pages), in English or Japanese from the app's catalogues
 * (locales/<language>/provider.json).
 *
 * The language: the app's language cookie belongs to the app's origin and never comes here, so
 * the request itself decides: its `ui_locales` (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0 §2),
 * which the app fills with its visitor's choice, else the browser's `Accept-Language`.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import type { Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';

import {
  htmlTranslator,
  readCatalogues,
  translator,
  type Catalogue,
  type MessageValues,
} from '../../i18n/catalogues.js';
import { DEFAULT_LANGUAGE, languageFromAcceptLanguage, type Language } from '../../i18n/languages.js';
import { languageFromUiLocales } from '../../i18n/ui-locales.js';

/** The language of one page: the request's `ui_locales`, else its `Accept-Language`, else English. */
export function pageLanguage(req: IncomingMessage, uiLocales: unknown): Language {
  return languageFromUiLocales(uiLocales) ?? languageFromAcceptLanguage(req);
}

/** A sentence of the `provider` catalogue, translated when the page is rendered. */
export interface PageMessage {
  readonly key: string;
  readonly values?: MessageValues;
}

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

  /** `lang` sets `<html lang>`; `t` and `tHtml` (for `_html` keys, printed unescaped) translate. */
  render(view: string, lang: Language, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(join(this.#viewsDir, `${view}.ejs`), {
      ...locals,
      lang,
      t: translator(lang),
      tHtml: htmlTranslator(lang),
    });
  }

  async renderToExpress(
    res: Response,
    status: number,
    view: string,
    lang: Language,
    locals: Record<string, unknown>,
  ): Promise<void> {
    const html = await this.render(view, lang, locals);
    res.status(status).set(this.#headers).type('html').send(html);
  }

  async renderToKoa(
    ctx: KoaContextWithOIDC,
    status: number,
    view: string,
    lang: Language,
    locals: Record<string, unknown>,
  ): Promise<void> {
    const html = await this.render(view, lang, locals);
    ctx.status = status;
    ctx.set(this.#headers);
    ctx.type = 'html';
    ctx.body = html;
  }
}

/**
 * The error page's locals: our own sentence for the error, and, for oidc-provider's protocol
 * errors, the library's `error_description` as a detail (English: the library has no catalogue).
 */
export function errorPageLocals(
  code: string,
  message: PageMessage,
  appBaseUrl: string,
  libraryDetail?: string,
): Record<string, unknown> {
  return { code, message, libraryDetail, appUrl: `${appBaseUrl}/` };
}

/** Our sentence for one of oidc-provider's error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6). */
export function protocolErrorMessage(code: string): PageMessage {
  return { key: PROTOCOL_ERRORS.has(code) ? `provider:protocol_errors.${code}` : 'provider:errors.default' };
}

/** The codes the catalogue has a sentence for (the English catalogue is the reference). */
const PROTOCOL_ERRORS: ReadonlySet<string> = new Set(
  Object.keys((readCatalogues(DEFAULT_LANGUAGE)['provider']?.['protocol_errors'] as Catalogue | undefined) ?? {}),
);

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

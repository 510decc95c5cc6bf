/**
 * Every page's language: chooses it (i18n/languages.ts) and puts what the
 * templates need into `res.locals`, so every view, the layout and the error
 * page read the same things:
 *
 * - `lang`: `en` or `ja`, for `<html lang>` (WCAG 2.2 SC 3.1.1);
 * - `t(key, values)`: the translator, whose result `<%= %>` escapes;
 * - `tHtml(key, values)`: for `_html` messages, printed with `<%- %>`;
 * - `fmt`: dates, durations and numbers for that language (i18n/format.ts);
 * - `languageSwitch`: what the header's switch posts: the other languages and
 *   the page to come back to;
 * - `scriptMessages(sections)`: the messages of the page's script, as the JSON of
 *   its data block (i18n/script-messages.ts; views/partials/script-messages.ejs).
 */
import type { Request, Response } from 'express';
import { htmlTranslator, translator, type Translate } from '../i18n/catalogues.js';
import { formatters } from '../i18n/format.js';
import { chooseLanguage, LANGUAGES, type Language } from '../i18n/languages.js';
import { scriptMessagesJson } from '../i18n/script-messages.js';

export interface Localization {
  readonly lang: Language;
  readonly t: Translate;
}

/** Chooses the request's language and sets the template locals; returns it for code that renders by itself. */
export function localize(req: Request, res: Response): Localization {
  const lang = chooseLanguage(req);
  const t = translator(lang);
  Object.assign(res.locals, {
    lang,
    t,
    tHtml: htmlTranslator(lang),
    fmt: formatters(lang),
    languageSwitch: { current: lang, choices: LANGUAGES, returnTo: req.originalUrl },
    scriptMessages: (sections: readonly string[]) => scriptMessagesJson(lang, sections),
  });
  // The same URL answers in two languages: caches must tell them apart (RFC 9110 §12.5.5).
  res.vary('Accept-Language');
  res.vary('Cookie');
  return { lang, t };
}

/**
 * Which language a request is answered in: English or Japanese.
 *
 * 1. The `lang` cookie, set by the language switch in the page header
 *    (web/routes/language.routes.ts). It is a plain preference cookie, not part
 *    of the session, so it works before login and survives logout.
 * 2. Otherwise the browser's `Accept-Language` (RFC 9110 §12.5.4), negotiated
 *    with its quality values by `accepts` (the negotiator Express itself uses):
 *    `ja-JP` and `ja` choose Japanese.
 * 3. Otherwise English.
 *
 * It reads a plain `IncomingMessage`, so the /api gateway (which runs in front
 * of Express) and the pages choose the same way.
 */
import type { IncomingMessage } from 'node:http';
import accepts from 'accepts';
import { parse as parseCookies } from 'cookie';

/** Every language the app speaks; the first is the default. */
export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

/** The preference cookie's name. */
export const LANGUAGE_COOKIE = 'lang';
/** How long the preference is kept: a year, renewed at each switch. */
export const LANGUAGE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function chooseLanguage(req: IncomingMessage): Language {
  const header = req.headers.cookie;
  if (header?.includes(`${LANGUAGE_COOKIE}=`)) {
    const chosen = parseCookies(header)[LANGUAGE_COOKIE];
    if (isLanguage(chosen)) return chosen;
  }
  return languageFromAcceptLanguage(req);
}

/** Step 2 alone, for a site that has no language cookie of its own (the demo provider's pages). */
export function languageFromAcceptLanguage(req: IncomingMessage): Language {
  if (!req.headers['accept-language']) return DEFAULT_LANGUAGE;
  const negotiated = accepts(req).languages([...LANGUAGES]);
  return isLanguage(negotiated) ? negotiated : DEFAULT_LANGUAGE;
}

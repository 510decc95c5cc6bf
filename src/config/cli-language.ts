/**
 * The language of the command-line tools' messages (`npm run m2m`, `npm run keys`): the POSIX
 * locale of the process, from the first of LC_ALL, LC_MESSAGES and LANG that is set and not
 * empty (their order of precedence, POSIX.1-2017 §8.2). `ja_JP.UTF-8` or `ja` chooses Japanese;
 * anything else (`C`, `POSIX`, `en_US.UTF-8`, unset) English. Only the language is read: the
 * tools print what they print in UTF-8 whatever the codeset says.
 */
import { DEFAULT_LANGUAGE, isLanguage, type Language } from '../i18n/languages.js';

export function languageFromLocale(env: NodeJS.ProcessEnv): Language {
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((value) => value !== undefined && value !== '');
  // `language[_territory][.codeset][@modifier]`
  const language = locale?.split(/[_.@]/)[0]?.toLowerCase();
  return isLanguage(language) ? language : DEFAULT_LANGUAGE;
}

/** The language of this process's command-line messages. */
export function readCliLanguage(): Language {
  return languageFromLocale(process.env);
}

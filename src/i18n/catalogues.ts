/**
 * The message catalogues and the translators built on them.
 *
 * Catalogues are JSON files, one per language and part of the app:
 * `locales/<language>/<namespace>.json` (common, pages, flow, errors, ...).
 * Keys name a namespace and a path, `pages:home.title`; values are whole
 * sentences with named placeholders, `{{name}}`, never pieces glued together,
 * because word order differs between languages.
 *
 * i18next does the lookup, interpolation and plurals (`_one`/`_other`, by the
 * language's CLDR plural rules). The files are read once, synchronously, when
 * this module loads (a directory listing and JSON.parse: what i18next's
 * filesystem backend would do, without its asynchronous start), so every
 * translator is ready before the first request and the CLI can use them too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import i18next from 'i18next';
import { PROJECT_ROOT } from '../paths.js';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from './languages.js';

export const LOCALES_DIR = path.join(PROJECT_ROOT, 'locales');

/** A catalogue file's content: nested objects of strings. */
export interface Catalogue {
  readonly [key: string]: string | Catalogue;
}

/** Values for a message's placeholders. `count` also picks the plural form. */
export type MessageValues = Readonly<Record<string, string | number>>;

/** Looks up a message in one language: `t('pages:home.title')`, `t('errors:message.api_not_authorized', { api: 'orders' })`. */
export type Translate = (key: string, values?: MessageValues) => string;

/** What a key shows when no catalogue has it: impossible to miss on a page, and tests look for it. */
export const MISSING_KEY_MARK = '⟦missing⟧';

/** Every catalogue of one language, by namespace, read from `locales/<language>/*.json`. */
export function readCatalogues(language: Language, dir = LOCALES_DIR): Record<string, Catalogue> {
  const folder = path.join(dir, language);
  const namespaces: Record<string, Catalogue> = {};
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.json'))) {
    namespaces[path.basename(file, '.json')] = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as Catalogue;
  }
  return namespaces;
}

function createI18n() {
  const resources = Object.fromEntries(LANGUAGES.map((language) => [language, readCatalogues(language)]));
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    // Loaded above; the resources are all there, so init finishes before it returns.
    initAsync: false,
    supportedLngs: [...LANGUAGES],
    fallbackLng: DEFAULT_LANGUAGE,
    ns: Object.keys(resources[DEFAULT_LANGUAGE] ?? {}),
    defaultNS: 'common',
    // Templates escape what they print (EJS `<%= %>`); escaping here too would show `&amp;`.
    interpolation: { escapeValue: false },
    parseMissingKeyHandler: (key: string) => `${MISSING_KEY_MARK} ${key}`,
  });
  return instance;
}

const i18n = createI18n();

const translators = new Map<Language, Translate>(
  LANGUAGES.map((language) => {
    const fixed = i18n.getFixedT(language);
    return [language, (key: string, values?: MessageValues) => String(fixed(key, values as Record<string, unknown>))];
  }),
);

/** The translator for one language (built once; the same function every time). */
export function translator(language: Language): Translate {
  return translators.get(language) ?? (translators.get(DEFAULT_LANGUAGE) as Translate);
}

/**
 * For the few messages that carry markup of their own (keys ending in `_html`,
 * e.g. a sentence with `<code>state</code>` in it): the catalogue is ours, so its
 * markup is trusted, but every value put into it is escaped. Templates print the
 * result unescaped (`<%- %>`).
 */
export function htmlTranslator(language: Language): Translate {
  const t = translator(language);
  return (key, values = {}) =>
    t(
      key,
      Object.fromEntries(
        Object.entries(values).map(([name, value]) => [name, typeof value === 'string' ? escapeHtml(value) : value]),
      ),
    );
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The messages a page's script shows (the API console's history lines, the M2M page's cache
 * states, the tokens page's countdown), handed to the browser with the page: a data block,
 * `<script type="application/json" id="page-messages">`, that public/messages.js reads. The
 * scripts never fetch a catalogue and never build a sentence from pieces: they fill the named
 * placeholders of whole sentences, as the server does.
 *
 * A data block is not executed, so the page's nonce-based CSP has nothing to allow; `<` is
 * written as `\u003c` so no message can close the block (HTML §4.12.1.3).
 */
import { MISSING_KEY_MARK, readCatalogues, type Catalogue } from './catalogues.js';
import { LANGUAGES, type Language } from './languages.js';

/** The part of the catalogues the scripts read: `locales/<language>/scripts.json`. */
const NAMESPACE = 'scripts';

const SCRIPT_CATALOGUES = new Map<Language, Catalogue>(
  LANGUAGES.map((language) => [language, readCatalogues(language)[NAMESPACE] ?? {}]),
);

/**
 * The data block's JSON for a page whose script reads `sections` of the scripts catalogue
 * (`common` always comes too): the language, for `Intl`, the messages, and the marker of a
 * missing key, which the page tests look for.
 */
export function scriptMessagesJson(language: Language, sections: readonly string[]): string {
  const catalogue = SCRIPT_CATALOGUES.get(language) ?? {};
  const messages = Object.fromEntries(
    ['common', ...sections].filter((section) => section in catalogue).map((section) => [section, catalogue[section]]),
  );
  return dataBlockJson({ lang: language, missing: MISSING_KEY_MARK, messages });
}

/** JSON that is safe inside `<script type="application/json">`: no `<`, so no `</script>`. */
export function dataBlockJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

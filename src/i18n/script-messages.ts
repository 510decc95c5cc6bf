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

const CATALOGUES = new Map<Language, Record<string, Catalogue>>(
  LANGUAGES.map((language) => [language, readCatalogues(language)]),
);

/**
 * The data block's JSON for a page whose script reads the catalogue sections `sections`, named
 * `namespace:section` (`scripts:console`, `pages:m2m`) so that a script and the server say the
 * same thing with the same message: the language, for `Intl`, those sections, and the marker of
 * a missing key, which the page tests look for.
 */
export function scriptMessagesJson(language: Language, sections: readonly string[]): string {
  const catalogues = CATALOGUES.get(language) ?? {};
  const messages: Record<string, Catalogue> = {};
  for (const name of sections) {
    const [namespace = '', section = ''] = name.split(':');
    const found = catalogues[namespace]?.[section];
    if (typeof found !== 'object') throw new Error(`no catalogue section ${name}`);
    messages[namespace] = { ...messages[namespace], [section]: found };
  }
  return dataBlockJson({ lang: language, missing: MISSING_KEY_MARK, messages });
}

/**
 * JSON that is safe inside `<script type="application/json">`: no `<`, so no `</script>`. The
 * missing-key marker is written escaped too, so a page shows it only where a key is really
 * missing (the page tests search the HTML for it).
 */
export function dataBlockJson(value: unknown): string {
  const marker = MISSING_KEY_MARK.charAt(0);
  const escapedMarker = `\\u${marker.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return JSON.stringify(value).replace(/</g, '\\u003c').replaceAll(marker, escapedMarker);
}

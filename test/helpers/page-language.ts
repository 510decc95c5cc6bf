/**
 * Whether a page is wholly in the language it claims: `<html lang>`, no missing-key marker, and
 * no sentence of the English catalogue in what a person reads (text nodes, the page title and
 * the labels assistive technology reads out), leaving out code (`<code>`), whatever the page
 * itself marks as English (`lang="en"`) and names it marks as not to be translated
 * (`translate="no"`, HTML §3.2.6.8: the app's registered name on the provider's pages).
 */
import assert from 'node:assert/strict';

import { parse } from 'node-html-parser';

import { MISSING_KEY_MARK, readCatalogues, type Catalogue } from '../../src/i18n/catalogues.js';
import type { Language } from '../../src/i18n/languages.js';

/**
 * Every sentence of the English catalogues `namespaces` (all when none are named), without
 * markup and split at placeholders and sentence ends: pieces of two words or more, so a
 * product name such as "API" or a code such as `openid` is not taken for English prose.
 */
export function englishSentences(...namespaces: string[]): string[] {
  const catalogues = readCatalogues('en');
  const chosen = namespaces.length > 0 ? namespaces : Object.keys(catalogues);
  return [...new Set(chosen.flatMap((ns) => sentencesOf(catalogues[ns] ?? {})))];
}

function sentencesOf(catalogue: Catalogue): string[] {
  return Object.values(catalogue).flatMap((value) =>
    typeof value === 'string'
      ? value
          .replace(/<[^>]+>/g, ' ')
          .split(/\{\{\w+\}\}|(?<=[.?!:;])\s+/)
          .map((piece) => piece.replace(/\s+/g, ' ').trim())
          .filter((piece) => /\w+\W+\w+/.test(piece))
      : sentencesOf(value),
  );
}

/** What a person reads on the page (see the file comment). */
export function readableText(html: string): string {
  const root = parse(html);
  for (const element of root.querySelectorAll('code, script, style, [lang="en"], [translate="no"]')) element.remove();
  const labels = root
    .querySelectorAll('[aria-label], [title], [alt], [placeholder]')
    .flatMap((element) =>
      ['aria-label', 'title', 'alt', 'placeholder'].map((name) => element.getAttribute(name) ?? ''),
    );
  const title = root.querySelector('title')?.textContent ?? '';
  return [title, root.querySelector('body')?.textContent ?? '', ...labels].join(' ').replace(/\s+/g, ' ');
}

/** Fails when the page is not in `lang` or shows a missing key or one of `english`. */
export function assertInLanguage(html: string, lang: Language, english: readonly string[], what: string): void {
  assert.match(html, new RegExp(`<html lang="${lang}"`), `${what}: <html lang="${lang}">`);
  const text = readableText(html);
  assert.ok(!text.includes(MISSING_KEY_MARK), `${what}: a key is missing from the catalogue: ${text}`);
  for (const sentence of english) {
    assert.ok(!text.includes(sentence), `${what}: English left on the page: "${sentence}"`);
  }
}

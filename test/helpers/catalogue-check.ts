/**
 * What the catalogue test checks, as functions it can also run on broken
 * fixtures (so the test is seen to fail): the same keys in every language, the
 * same placeholders in every translation of a message, the plural forms each
 * language needs, markup only in `_html` messages and the same tags there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readCatalogues, type Catalogue } from '../../src/i18n/catalogues.js';
import { LANGUAGES, type Language } from '../../src/i18n/languages.js';

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

/** `{ ns: { a: { b: 'x' } } }` → `{ 'ns:a.b': 'x' }`. */
export function flatten(namespaces: Record<string, Catalogue>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (prefix: string, node: Catalogue): void => {
    for (const [key, value] of Object.entries(node)) {
      const full = prefix.endsWith(':') ? `${prefix}${key}` : `${prefix}.${key}`;
      if (typeof value === 'string') out.set(full, value);
      else walk(full, value);
    }
  };
  for (const [ns, catalogue] of Object.entries(namespaces)) walk(`${ns}:`, catalogue);
  return out;
}

/** A message's base key and plural category (`flow:calls_one` → `flow:calls`, `one`). */
function splitPlural(key: string): { base: string; category: string | null } {
  const match = PLURAL_SUFFIX.exec(key);
  return match ? { base: key.slice(0, match.index), category: match[1] ?? null } : { base: key, category: null };
}

export function placeholders(value: string): string[] {
  return [...new Set([...value.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1] ?? ''))].sort();
}

function tags(value: string): string[] {
  return [...value.matchAll(/<\/?([a-z][a-z0-9]*)\b[^>]*>/gi)]
    .map((m) => `${m[0].startsWith('</') ? '/' : ''}${m[1]}`)
    .sort();
}

interface Message {
  readonly categories: Set<string>;
  readonly placeholders: Set<string>;
  readonly tags: string[];
}

/** One language's messages by base key (plural variants folded together). */
function messages(flat: Map<string, string>): Map<string, Message> {
  const out = new Map<string, Message>();
  for (const [key, value] of flat) {
    const { base, category } = splitPlural(key);
    const message = out.get(base) ?? { categories: new Set(), placeholders: new Set(), tags: tags(value) };
    if (category) message.categories.add(category);
    for (const name of placeholders(value)) message.placeholders.add(name);
    out.set(base, message);
  }
  return out;
}

/** Every problem of the catalogues under `dir`, as readable lines (empty when all is well). */
export function catalogueProblems(dir: string): string[] {
  const problems: string[] = [];
  const flat = new Map<Language, Map<string, string>>(LANGUAGES.map((l) => [l, flatten(readCatalogues(l, dir))]));
  const byLanguage = new Map<Language, Map<string, Message>>(LANGUAGES.map((l) => [l, messages(flat.get(l)!)]));
  const [reference, ...others] = LANGUAGES;
  const base = byLanguage.get(reference)!;
  for (const [language, values] of flat) {
    for (const [key, value] of values) {
      if (value.trim() === '') problems.push(`${language} ${key}: empty`);
      if (/[<>]/.test(value) && !splitPlural(key).base.endsWith('_html')) {
        problems.push(`${language} ${key}: markup in a message whose key does not end in _html`);
      }
    }
  }
  // A translation left in English: the same words as the reference, three English words in a row.
  for (const language of others) {
    for (const [key, value] of flat.get(language)!) {
      if (
        value === flat.get(reference)?.get(key) &&
        /\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b/i.test(value.replace(/<[^>]+>/g, ''))
      ) {
        problems.push(`${language} ${key}: not translated`);
      }
    }
  }
  for (const language of others) {
    const other = byLanguage.get(language)!;
    for (const key of base.keys())
      if (!other.has(key)) problems.push(`${key}: in ${reference}, missing in ${language}`);
    for (const key of other.keys())
      if (!base.has(key)) problems.push(`${key}: in ${language}, missing in ${reference}`);
  }
  for (const [language, table] of byLanguage) {
    const needed = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    for (const [key, message] of table) {
      if (message.categories.size === 0) continue;
      const missing = needed.filter((category) => !message.categories.has(category));
      if (missing.length > 0) problems.push(`${language} ${key}: plural forms missing: ${missing.join(', ')}`);
    }
  }
  for (const [key, message] of base) {
    for (const language of others) {
      const other = byLanguage.get(language)?.get(key);
      if (!other) continue;
      const a = [...message.placeholders].sort().join(', ');
      const b = [...other.placeholders].sort().join(', ');
      if (a !== b) problems.push(`${key}: placeholders differ: ${reference} {${a}}, ${language} {${b}}`);
      if (message.tags.join() !== other.tags.join()) {
        problems.push(
          `${key}: markup differs: ${reference} ${message.tags.join(' ')}, ${language} ${other.tags.join(' ')}`,
        );
      }
    }
  }
  return problems;
}

/** Every file under `dir` (recursively) whose name ends with one of `extensions`. */
export function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, extensions);
    return extensions.some((ext) => name.endsWith(ext)) ? [full] : [];
  });
}

/**
 * The catalogue keys written out literally in code and templates: `t('pages:home.title'`,
 * `tHtml("…"`, and `'errors:…'` string literals. Keys built at run time are not found here;
 * the page tests catch those.
 */
export function literalKeys(file: string, namespaces: readonly string[]): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = new RegExp(`['"\`]((?:${namespaces.join('|')}):[\\w.]*[A-Za-z0-9])['"\`]`, 'g');
  return [...text.matchAll(pattern)].map((m) => m[1] ?? '');
}

/**
 * Whether `key` names a message of `flat` (directly or through its plural forms), or a section
 * of messages (`scripts:console`, handed whole to a page's script: src/i18n/script-messages.ts).
 */
export function hasMessage(flat: Map<string, string>, key: string): boolean {
  return (
    flat.has(key) || [...flat.keys()].some((k) => (splitPlural(k).base === key && k !== key) || k.startsWith(`${key}.`))
  );
}

/**
 * The message catalogues (locales/<language>/<namespace>.json): every key in
 * every language, the same placeholders and markup in every translation, the
 * plural forms each language needs, and every key the code names exists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LOCALES_DIR, MISSING_KEY_MARK, readCatalogues, translator } from '../../src/i18n/catalogues.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { catalogueProblems, filesUnder, flatten, hasMessage, literalKeys } from '../helpers/catalogue-check.js';

function fixture(files: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'locales-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), JSON.stringify(content));
  }
  return dir;
}

describe('message catalogues', () => {
  it('have the same keys, placeholders, plural forms and markup in English and Japanese', () => {
    assert.deepEqual(catalogueProblems(LOCALES_DIR), []);
  });

  it('hold every key the code and the templates name', () => {
    const english = flatten(readCatalogues('en'));
    const namespaces = Object.keys(readCatalogues('en'));
    const files = [
      ...filesUnder(path.join(PROJECT_ROOT, 'src'), ['.ts']),
      ...filesUnder(path.join(PROJECT_ROOT, 'views'), ['.ejs']),
    ];
    const unknown = files.flatMap((file) =>
      literalKeys(file, namespaces)
        .filter((key) => !hasMessage(english, key))
        .map((key) => `${path.relative(PROJECT_ROOT, file)}: ${key}`),
    );
    assert.deepEqual(unknown, []);
  });

  it('report a key missing in one language, a placeholder that differs, a missing plural form, stray markup and a message left in English', () => {
    const dir = fixture({
      'en/pages.json': {
        title: 'Title',
        only_english: 'Only here',
        greeting: 'Hello {{name}}',
        calls_one: 'one call',
        calls_other: '{{count}} calls',
        note: 'A <code>state</code>',
        untranslated: 'Left in English here',
      },
      'ja/pages.json': {
        title: 'タイトル',
        greeting: 'こんにちは{{user}}',
        note: '<code>state</code>です',
        untranslated: 'Left in English here',
      },
    });
    try {
      const problems = catalogueProblems(dir);
      assert.ok(problems.includes('pages:only_english: in en, missing in ja'), problems.join('\n'));
      assert.ok(problems.includes('pages:calls: in en, missing in ja'), problems.join('\n'));
      assert.ok(problems.includes('pages:greeting: placeholders differ: en {name}, ja {user}'), problems.join('\n'));
      assert.ok(problems.includes('ja pages:untranslated: not translated'), problems.join('\n'));
      assert.ok(
        problems.some((p) => p.startsWith('en pages:note: markup')),
        problems.join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const plural = fixture({
      'en/flow.json': { calls_other: '{{count}} calls' },
      'ja/flow.json': { calls_other: '{{count}}件の呼び出し' },
    });
    try {
      assert.deepEqual(catalogueProblems(plural), ['en flow:calls: plural forms missing: one']);
    } finally {
      rmSync(plural, { recursive: true, force: true });
    }
  });

  it('mark a key no catalogue has, so a page test cannot miss it', () => {
    assert.equal(translator('ja')('common:no.such.key'), `${MISSING_KEY_MARK} no.such.key`);
    assert.equal(translator('ja')('common:nav.home'), 'ホーム');
    assert.equal(translator('en')('common:nav.home'), 'Home');
  });
});

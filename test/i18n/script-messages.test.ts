/** The messages handed to the pages' scripts (src/i18n/script-messages.ts, public/messages.js). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { MISSING_KEY_MARK, readCatalogues } from '../../src/i18n/catalogues.js';
import { LANGUAGES } from '../../src/i18n/languages.js';
import { dataBlockJson, scriptMessagesJson } from '../../src/i18n/script-messages.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { filesUnder, flatten, hasMessage, literalKeys } from '../helpers/catalogue-check.js';

describe("the pages' script messages", () => {
  it('carry the language, the marker of a missing key and the sections the page asks for', () => {
    for (const language of LANGUAGES) {
      const data = JSON.parse(scriptMessagesJson(language, ['scripts:common', 'scripts:console', 'common:nav'])) as {
        lang: string;
        missing: string;
        messages: Record<string, Record<string, unknown>>;
      };
      const catalogues = readCatalogues(language);
      assert.equal(data.lang, language);
      assert.deepEqual(data.messages, {
        scripts: { common: catalogues['scripts']?.['common'], console: catalogues['scripts']?.['console'] },
        common: { nav: catalogues['common']?.['nav'] },
      });
      assert.equal(data.missing, MISSING_KEY_MARK);
      assert.ok(!scriptMessagesJson(language, ['scripts:common']).includes(MISSING_KEY_MARK), 'the marker is escaped');
      assert.throws(() => scriptMessagesJson(language, ['scripts:nope']), /no catalogue section scripts:nope/);
    }
  });

  it('cannot close the data block they are written into', () => {
    const json = dataBlockJson({ message: '</script><script>alert(1)</script>' });
    assert.ok(!json.includes('<'), json);
    assert.deepEqual(JSON.parse(json), { message: '</script><script>alert(1)</script>' });
  });

  it('name only keys the catalogues have, in every language, always with their namespace (public/*.js)', () => {
    const scripts = filesUnder(path.join(PROJECT_ROOT, 'public'), ['.js']);
    const namespaces = Object.keys(readCatalogues('en'));
    const used = scripts.flatMap((file) => literalKeys(file, namespaces).map((key) => ({ file, key })));
    assert.ok(used.length > 10, 'the scripts name their messages');
    for (const language of LANGUAGES) {
      const flat = flatten(readCatalogues(language));
      const unknown = used.filter(({ key }) => !hasMessage(flat, key));
      assert.deepEqual(
        unknown.map(({ file, key }) => `${path.relative(PROJECT_ROOT, file)}: ${key}`),
        [],
        `missing in ${language}`,
      );
    }
    // A key without its namespace finds nothing in the page's data block.
    const sections = Object.keys(readCatalogues('en')['scripts'] ?? {}).join('|');
    const bare = new RegExp(`['"\`](?:${sections})\\.[\\w.]+['"\`]`, 'g');
    const unqualified = scripts.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(bare)].map((m) => `${path.relative(PROJECT_ROOT, file)}: ${m[0]}`),
    );
    assert.deepEqual(unqualified, []);
  });
});

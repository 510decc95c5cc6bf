/** The command-line tools' language, from the POSIX locale variables (src/config/cli-language.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { languageFromLocale } from '../../src/config/cli-language.js';

describe('the command-line language', () => {
  it('is Japanese for a ja locale and English for every other one', () => {
    assert.equal(languageFromLocale({ LANG: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(languageFromLocale({ LANG: 'ja' }), 'ja');
    assert.equal(languageFromLocale({ LANG: 'ja_JP.eucJP@modifier' }), 'ja');
    assert.equal(languageFromLocale({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(languageFromLocale({ LANG: 'C.UTF-8' }), 'en');
    assert.equal(languageFromLocale({ LANG: 'fr_FR.UTF-8' }), 'en');
    assert.equal(languageFromLocale({}), 'en');
  });

  it('takes LC_ALL over LC_MESSAGES over LANG, skipping empty ones', () => {
    assert.equal(languageFromLocale({ LC_ALL: 'C', LANG: 'ja_JP.UTF-8' }), 'en');
    assert.equal(languageFromLocale({ LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'en_US.UTF-8' }), 'ja');
    assert.equal(languageFromLocale({ LC_ALL: '', LC_MESSAGES: '', LANG: 'ja_JP.UTF-8' }), 'ja');
  });
});

/**
 * Every app page in both languages, against the real stack: `<html lang>`
 * follows the language, no message key is missing, and a Japanese page has no
 * English sentence left in it: no English catalogue text (where Japanese says
 * it differently) and no run of English words outside code, in any text node.
 * JSON error descriptions follow Accept-Language; error codes stay English.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse, type HTMLElement, type Node } from 'node-html-parser';
import { MISSING_KEY_MARK, readCatalogues } from '../../src/i18n/catalogues.js';
import { translator } from '../../src/i18n/catalogues.js';
import { ALICE, apiCall, logIn } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { flatten } from '../helpers/catalogue-check.js';
import { parseForm, parseForms } from '../helpers/html-forms.js';
import { startStack, type Stack } from '../helpers/stack.js';

const JA = { 'Accept-Language': 'ja-JP,ja;q=0.9' };
const EN = { 'Accept-Language': 'en-US,en;q=0.9' };

/** Elements whose text is code, data or another language: their words are not the page's own. */
const NOT_PROSE = new Set(['SCRIPT', 'STYLE', 'CODE', 'PRE', 'TIME']);

function textNodes(node: Node, out: string[] = []): string[] {
  for (const child of node.childNodes) {
    if (child.nodeType === 3) {
      const text = child.text.replace(/\s+/g, ' ').trim();
      if (text) out.push(text);
    } else if (child.nodeType === 1) {
      const element = child as HTMLElement;
      const lang = element.getAttribute('lang');
      if (NOT_PROSE.has(element.tagName) || (lang && lang !== 'ja')) continue;
      // Claims and token contents are the provider's data, shown as they came.
      if (element.classList.contains('claims')) continue;
      textNodes(element, out);
    }
  }
  return out;
}

/** English catalogue texts that Japanese says differently: their literal parts of two words or more. */
function englishFragments(): string[] {
  const en = flatten(readCatalogues('en'));
  const ja = flatten(readCatalogues('ja'));
  const fragments = new Set<string>();
  for (const [key, value] of en) {
    if (ja.get(key) === value) continue;
    const text = value.replace(/<[^>]+>/g, ' ');
    for (const part of text.split(/\{\{[^}]+\}\}/)) {
      const fragment = part.replace(/\s+/g, ' ').trim();
      if (/[A-Za-z]+ [A-Za-z]+/.test(fragment) && fragment.length >= 10) fragments.add(fragment);
    }
  }
  return [...fragments];
}

/** Four English words in a row: a sentence, not a name or a spec title. */
const ENGLISH_RUN = /\b[A-Za-z][a-z]+(?:[ ,]+[A-Za-z][a-z]+){3,}/;
/** Names that are English on both pages (spec titles, product names). */
const KEPT_AS_IS = [/OpenID Connect Back-Channel Logout 1\.0/g, /OAuth 2\.0 for Browser-Based Apps/g];

function problemsOf(html: string, language: 'en' | 'ja', fragments: readonly string[]): string[] {
  const problems: string[] = [];
  const root = parse(html);
  const lang = root.querySelector('html')?.getAttribute('lang');
  if (lang !== language) problems.push(`<html lang="${lang}">`);
  if (html.includes(MISSING_KEY_MARK))
    problems.push(`missing key: ${html.slice(html.indexOf(MISSING_KEY_MARK), html.indexOf(MISSING_KEY_MARK) + 80)}`);
  if (language === 'en') return problems;
  const body = root.querySelector('body');
  assert.ok(body);
  for (const raw of textNodes(body)) {
    const text = KEPT_AS_IS.reduce((t, name) => t.replace(name, ''), raw);
    const fragment = fragments.find((f) => text.includes(f));
    if (fragment) problems.push(`English catalogue text “${fragment}” in “${raw}”`);
    else if (ENGLISH_RUN.test(text)) problems.push(`English words “${ENGLISH_RUN.exec(text)?.[0]}” in “${raw}”`);
  }
  return problems;
}

describe('every app page in English and Japanese', () => {
  let stack: Stack;
  let alice: Browser;
  const fragments = englishFragments();

  before(async () => {
    stack = await startStack();
    alice = new Browser();
    await logIn(stack, alice, ALICE);
    // Give the flow inspector something of every kind to explain: API calls, a refresh, a machine call.
    assert.equal((await apiCall(alice, stack, '/appointments')).status, 200);
    assert.equal((await apiCall(alice, stack, '/nope')).status, 404);
    const refresh = await alice.request(`${stack.appUrl}/session/refresh`, {
      method: 'POST',
      headers: { 'X-CSRF': '1' },
    });
    assert.equal(refresh.status, 200);
    const m2m = await alice.text(await alice.get(`${stack.appUrl}/m2m`));
    const call = parseForm(m2m, (form) => form.action === '/m2m/call');
    assert.equal(
      (await alice.post(`${stack.appUrl}/m2m/call`, call.fields, { headers: { Origin: stack.appUrl } })).status,
      200,
    );
  });
  after(() => stack.close());

  async function page(browser: Browser, path: string, headers: Record<string, string>, status = 200): Promise<string> {
    const response = await browser.request(`${stack.appUrl}${path}`, { headers });
    assert.equal(response.status, status, path);
    return browser.text(response);
  }

  for (const path of ['/', '/profile', '/console', '/m2m', '/flow', '/tokens', '/logout']) {
    it(`${path} in both languages`, async () => {
      assert.deepEqual(problemsOf(await page(alice, path, EN), 'en', fragments), []);
      assert.deepEqual(problemsOf(await page(alice, path, JA), 'ja', fragments), []);
    });
  }

  it('the home page before login and the error pages in both languages', async () => {
    const visitor = new Browser();
    for (const [headers, language] of [
      [EN, 'en'],
      [JA, 'ja'],
    ] as const) {
      assert.deepEqual(problemsOf(await page(visitor, '/', headers), language, fragments), []);
      const notFound = await page(visitor, '/nowhere', headers, 404);
      assert.deepEqual(problemsOf(notFound, language, fragments), []);
      const forged = await page(visitor, '/callback?code=x&state=forged', headers, 400);
      assert.deepEqual(problemsOf(forged, language, fragments), []);
      assert.doesNotMatch(forged, /forged/, 'the query of a failed callback is not echoed into the page');
    }
    assert.match(await page(visitor, '/nowhere', JA, 404), /ページが見つかりません/);
  });

  it('the signed-out page, when another device ended the login', async () => {
    const phone = new Browser({
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Version/17.4 Mobile/15E148 Safari/604.1',
    });
    await logIn(stack, phone, ALICE);
    const laptop = new Browser();
    await logIn(stack, laptop, ALICE);
    const forms = parseForms(await page(laptop, '/profile', EN)).filter((form) => form.action === '/sessions/end');
    for (const form of forms) {
      await laptop.post(`${stack.appUrl}/sessions/end`, form.fields, { headers: { Origin: stack.appUrl } });
    }
    const html = await page(phone, '/profile', JA, 401);
    assert.deepEqual(problemsOf(html, 'ja', fragments), []);
    assert.match(html, /別のデバイスからこのアプリをログアウトしました/);
  });

  it('JSON errors keep their code and describe it in the language asked for', async () => {
    const visitor = new Browser();
    for (const [headers, language] of [
      [EN, 'en'],
      [JA, 'ja'],
    ] as const) {
      const api = await visitor.request(`${stack.appUrl}/api/appointments`, { headers: { ...headers, 'X-CSRF': '1' } });
      assert.equal(api.status, 401);
      const body = (await api.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'login_required');
      assert.equal(body.error_description, translator(language)('errors:message.login_required'));
      const noHeader = await visitor.request(`${stack.appUrl}/api/appointments`, { headers });
      const refused = (await noHeader.json()) as { error: string; error_description: string };
      assert.equal(refused.error, 'csrf_header_missing');
      assert.equal(refused.error_description, translator(language)('errors:message.csrf_header_missing'));
    }
    assert.notEqual(
      translator('ja')('errors:message.login_required'),
      translator('en')('errors:message.login_required'),
    );
  });
});

/**
 * The demo provider's pages in Japanese: chosen by the request's `ui_locales` (OIDC Core
 * §3.1.2.1, RP-Initiated Logout 1.0 §2), else by `Accept-Language`, else English; and nothing
 * of the English catalogue left on a Japanese page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as client from 'openid-client';

import { Browser } from '../../helpers/browser.js';
import { assertInLanguage, englishSentences } from '../../helpers/page-language.js';
import { confirmLogoutAtProvider, errorMessageOf, parseForm } from '../../helpers/provider-login.js';
import {
  ALICE,
  API_AUDIENCE,
  APP_BASE_URL,
  BOB,
  WEB,
  authorizationUrl,
  signIn,
  startStack,
} from '../../helpers/demo-provider-kit.js';

const ENGLISH = englishSentences('provider');

function assertJapanesePage(html: string, what: string): void {
  assertInLanguage(html, 'ja', ENGLISH, what);
}

describe('demo identity provider: pages in Japanese', () => {
  it('shows the login and consent pages in the language of ui_locales, whatever the browser prefers', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser({ acceptLanguage: 'en-US,en;q=0.9' });
    const start = await authorizationUrl(stack, { resource: API_AUDIENCE, ui_locales: 'ja-JP en' });
    const { response, urls } = await browser.follow(start.url);
    const loginPage = urls.at(-1) ?? '';
    const html = await browser.text(response);
    assertJapanesePage(html, 'login page');
    assert.match(html, /<h1 id="login-heading">ログイン<\/h1>/);
    assert.ok(html.includes(`<strong translate="no">${WEB.clientId}</strong>に進むにはログインしてください`));

    const form = parseForm(html, (candidate) => 'login' in candidate.fields);
    const action = new URL(form.action, loginPage);
    const failed = await browser.post(action, { login: ALICE.login, password: 'not-her-password' });
    assert.equal(failed.status, 401);
    const failedHtml = await browser.text(failed);
    assert.equal(errorMessageOf(failedHtml), 'ユーザー名またはパスワードが正しくありません。');
    assertJapanesePage(failedHtml, 'login page after a wrong password');

    const posted = await browser.post(action, { login: BOB.login, password: BOB.password });
    const consent = await browser.followRedirects(posted, action);
    const consentHtml = await browser.text(consent.response);
    assertJapanesePage(consentHtml, 'consent page');
    assert.match(consentHtml, /<h1 id="consent-heading">アクセスを許可しますか？<\/h1>/);
    assert.match(consentHtml, /<code>offline_access<\/code> — あなたが操作していないあいだも接続を維持する/);
    assert.match(consentHtml, /<code>read:appointments<\/code> — 予約の読み取り/);
    assert.match(consentHtml, /value="allow" class="btn btn-primary">許可する<\/button>/);
    assert.match(consentHtml, /value="deny" class="btn btn-secondary">拒否する<\/button>/);
  });

  it('follows Accept-Language when the request has no ui_locales, and ui_locales=en wins over it', async (t) => {
    const stack = await startStack(t);
    const japaneseBrowser = new Browser({ acceptLanguage: 'ja,en-US;q=0.8' });
    const page = await japaneseBrowser.follow((await authorizationUrl(stack)).url);
    assertJapanesePage(await japaneseBrowser.text(page.response), 'login page (Accept-Language: ja)');

    const asked = await japaneseBrowser.follow(
      (await authorizationUrl(stack, { resource: API_AUDIENCE, ui_locales: 'en' })).url,
    );
    const html = await japaneseBrowser.text(asked.response);
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<h1 id="login-heading">Sign in<\/h1>/);

    // A language neither side speaks: English, the default.
    const french = new Browser({ acceptLanguage: 'fr-FR,fr' });
    const frenchPage = await french.follow(
      (await authorizationUrl(stack, { resource: API_AUDIENCE, ui_locales: 'fr' })).url,
    );
    assert.match(await french.text(frenchPage.response), /<html lang="en">/);
  });

  it('asks before logout and says goodbye in Japanese (ui_locales of the end-session request)', async (t) => {
    const stack = await startStack(t);
    const { browser, tokens } = await signIn(stack, ALICE);
    const endSession = client.buildEndSessionUrl(stack.web, {
      id_token_hint: tokens.id_token ?? '',
      ui_locales: 'ja',
    });
    const page = await browser.follow(endSession);
    const html = await browser.text(page.response);
    assertJapanesePage(html, 'logout page');
    assert.match(html, /<h1 id="logout-heading">ログアウトしますか？<\/h1>/);
    assert.match(html, /autofocus>はい、ログアウトします<\/button>/);

    // No post_logout_redirect_uri: the provider's own signed-out page. Its URL carries no
    // ui_locales (oidc-provider's confirmation form posts only its own fields): the browser's language.
    const { browser: second } = await signIn(stack, BOB, undefined, new Browser({ acceptLanguage: 'ja' }));
    const result = await confirmLogoutAtProvider(second, `${stack.issuer}/session/end`);
    const signedOut = await second.text(result.response);
    assertJapanesePage(signedOut, 'signed-out page');
    assert.match(signedOut, /<h1 id="logged-out-heading">ログアウトしました<\/h1>/);
  });

  it('explains a protocol error in Japanese and keeps the library detail, marked as English', async (t) => {
    const stack = await startStack(t);
    const browser = new Browser({ acceptLanguage: 'ja-JP,ja;q=0.9' });
    const response = await browser.get(`${stack.issuer}/auth?client_id=nobody&response_type=code`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(response.status, 400);
    const html = await browser.text(response);
    assertJapanesePage(html, 'error page');
    assert.equal(errorMessageOf(html), 'アプリを識別または認証できませんでした。');
    assert.match(html, /エラーコード：<code>invalid_client<\/code>/);
    assert.match(html, /プロバイダーのライブラリーからの詳細（英語）： <span lang="en">[^<]+<\/span>/);
    assert.ok(html.includes(`<a class="btn btn-secondary" href="${APP_BASE_URL}/">アプリに戻る</a>`));
  });

  it('publishes the languages of its pages in discovery (ui_locales_supported)', async (t) => {
    const stack = await startStack(t);
    const metadata = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(metadata['ui_locales_supported'], ['en', 'ja']);
  });
});

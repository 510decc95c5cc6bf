/**
 * What each dialect refuses, through the real app and the embedded provider: Google's
 * invalid_scope for offline_access (and the start-up warning that predicts it), an Entra tenant
 * that is not allowed, and an Auth0 organization link that does not match the app's organization.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALICE } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { loginAtProvider } from '../helpers/provider-login.js';
import { startStack, type Stack } from '../helpers/stack.js';

async function attemptLogin(stack: Stack, query = ''): Promise<{ status: number; page: string; urls: string[] }> {
  const browser = new Browser();
  const result = await loginAtProvider(browser, `${stack.appUrl}/login${query}`, {
    login: ALICE.login,
    password: ALICE.password,
  });
  // loginAtProvider has read the last page; the browser's log keeps its body.
  return { status: result.response.status, page: browser.log.at(-1)?.body ?? '', urls: result.urls };
}

describe('google: the offline_access scope', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ DEMO_PROVIDER_PROFILE: 'google', OIDC_SCOPE: 'openid email offline_access' });
  });
  after(() => stack.close());

  it('is predicted at start-up and refused by the provider with invalid_scope', async () => {
    assert.ok(stack.logs.some((line) => line.includes('Google refuses the offline_access scope')));
    const browser = new Browser();
    const page = await browser.follow(`${stack.appUrl}/login`);
    assert.equal(page.response.status, 400);
    assert.match(await browser.text(page.response), /invalid_scope/);
  });
});

describe('entra: a tenant that is not on OIDC_ALLOWED_TENANTS', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ DEMO_PROVIDER_PROFILE: 'entra', OIDC_ALLOWED_TENANTS: 'another-tenant' });
  });
  after(() => stack.close());

  it('cannot sign in, and gets a clear page', async () => {
    const { status, page } = await attemptLogin(stack);
    assert.equal(status, 400);
    assert.match(page, /cannot sign in to this app/);
  });
});

describe('auth0: organizations', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ DEMO_PROVIDER_PROFILE: 'auth0', OIDC_ORGANIZATION: 'acme' });
  });
  after(() => stack.close());

  it('signs in to the configured organization by name', async () => {
    const { urls } = await attemptLogin(stack);
    assert.equal(urls.at(-1), `${stack.appUrl}/`);
    const authorize = new URL(urls.find((u) => u.includes('/authorize') || u.includes('/auth?')) ?? '');
    assert.equal(authorize.searchParams.get('organization'), 'acme');
    assert.equal(authorize.searchParams.get('audience'), stack.config.oidc.audience);
  });

  it('refuses a link to another organization, and the provider refuses a foreign invitation', async () => {
    const browser = new Browser();
    const other = await browser.follow(`${stack.appUrl}/login?organization=org_other&invitation=inv_x`);
    assert.equal(other.response.status, 400);
    assert.match(await browser.text(other.response), /one organization only/);
    const foreign = await browser.follow(`${stack.appUrl}/login?organization=acme&invitation=inv_forged`);
    assert.equal(foreign.response.status, 400);
    assert.match(await browser.text(foreign.response), /invitation is not valid/);
  });
});

/**
 * Behind a TLS-terminating reverse proxy, for real: Debian's nginx runs the shipped
 * deploy/nginx.conf (names, ports and certificate paths substituted) with a self-signed
 * certificate made for this run, in front of the app started as `npm start` starts it, with
 * `BASE_URL=https://…` and `TRUST_PROXY=1`. Chromium (told to accept this one test
 * certificate) logs in and calls the API through it. Then the same with `TRUST_PROXY=0`:
 * the app says at start why logins will fail, and they do.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths.js';
import { ALICE } from '../helpers/app-login.js';
import { freePort } from '../helpers/free-port.js';
import { appErrorCode, finishAtProvider, launchChromium, openPage, STEP_TIMEOUT } from './helpers.js';

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output(): string;
}

function start(command: string, args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, exited, output: () => output };
}

async function stop(proc: Started | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 12_000))]);
  proc.child.kill('SIGKILL');
}

/** Log lines reach stdout in batches (at least every second): wait until `pattern` shows up. */
async function waitForOutput(proc: Started, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(proc.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

async function waitForReady(url: string, proc: Started, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && proc.child.exitCode === null) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${what} did not answer ${url}; output:\n${proc.output()}`);
}

/** deploy/nginx.conf with this run's names, ports and paths; everything else as shipped. */
function renderSiteConfig(dir: string, ports: { https: number; http: number; app: number }): string {
  const shipped = readFileSync(path.join(PROJECT_ROOT, 'deploy', 'nginx.conf'), 'utf8');
  const replacements: Array<[string, string]> = [
    ['server 127.0.0.1:3000;', `server 127.0.0.1:${ports.app};`],
    ['listen 80;', `listen 127.0.0.1:${ports.http};`],
    ['listen [::]:80;', ''],
    ['listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`],
    ['listen [::]:443 ssl http2;', ''],
    ['/etc/letsencrypt/live/app.example.com/fullchain.pem', path.join(dir, 'cert.pem')],
    ['/etc/letsencrypt/live/app.example.com/privkey.pem', path.join(dir, 'key.pem')],
    ['app.example.com', 'localhost'],
  ];
  let site = shipped;
  for (const [from, to] of replacements) {
    assert.ok(site.includes(from), `deploy/nginx.conf still contains ${from}`);
    site = site.split(from).join(to);
  }
  return site;
}

/** The main configuration a distribution provides, reduced to what runs unprivileged in `dir`. */
function mainConfig(dir: string): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`;
}

describe('behind nginx terminating TLS (deploy/nginx.conf)', () => {
  let dir = '';
  let nginx: Started | undefined;
  let app: Started | undefined;
  let browser: Browser | undefined;
  const ports = { https: 0, http: 0, app: 0, provider: 0, api: 0 };
  let appUrl = '';
  let issuer = '';

  function startApp(trustProxy: string): Started {
    return start(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      PORT: String(ports.app),
      BASE_URL: appUrl,
      TRUST_PROXY: trustProxy,
      DEMO_PROVIDER_PORT: String(ports.provider),
      DEMO_API_PORT: String(ports.api),
      LOG_LEVEL: 'warn',
    });
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'oidc-bff-nginx-'));
    // A certificate for this run only: EC P-256, localhost, valid one day.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    appUrl = `https://localhost:${ports.https}`;
    issuer = `http://127.0.0.1:${ports.provider}`;
    writeFileSync(path.join(dir, 'site.conf'), renderSiteConfig(dir, ports));
    writeFileSync(path.join(dir, 'nginx.conf'), mainConfig(dir));
    nginx = start('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
    // The certificate made above is self-signed: accept it in this test only.
    browser = await launchChromium(['--ignore-certificate-errors']);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await stop(app);
    await stop(nginx);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with TRUST_PROXY=1: logs in and calls the API through nginx, with a Secure __Host- cookie and HSTS', async () => {
    app = startApp('1');
    await waitForReady(`http://127.0.0.1:${ports.app}/readyz`, app, 'the app');
    // The start-up warnings are written together: once the SESSION_SECRET one is out, a proxy one would be too.
    await waitForOutput(app, /SESSION_SECRET is not set/);
    assert.match(app.output(), /SESSION_SECRET is not set/);
    assert.doesNotMatch(app.output(), /TRUST_PROXY/, 'no proxy warning with TRUST_PROXY=1');

    const { context, page } = await openPage(browser!);
    try {
      await page.goto(`${appUrl}/login?returnTo=/profile`);
      await finishAtProvider(page, { appUrl, issuer }, ALICE);
      assert.equal(page.url(), `${appUrl}/profile`, `the callback worked (error: ${await appErrorCode(page)})`);

      const cookies = await context.cookies(appUrl);
      const session = cookies.find((cookie) => cookie.name === '__Host-sid');
      assert.ok(session, `a __Host-sid cookie (got ${cookies.map((c) => c.name).join(', ')})`);
      assert.equal(session.secure, true);
      assert.equal(session.httpOnly, true);
      assert.equal(session.path, '/');
      assert.equal(session.sameSite, 'Lax');

      const profile = await page.goto(`${appUrl}/profile`);
      assert.match(profile?.headers()['strict-transport-security'] ?? '', /max-age=\d+/);

      const api = await page.evaluate(async () => {
        const res = await fetch('/api/appointments', { headers: { 'X-CSRF': '1', Accept: 'application/json' } });
        return { status: res.status, body: (await res.json()) as { appointments?: unknown } };
      });
      assert.equal(api.status, 200);
      assert.ok(Array.isArray(api.body.appointments));
    } finally {
      await context.close();
    }
    // It all went through nginx.
    const access = readFileSync(path.join(dir, 'access.log'), 'utf8');
    assert.match(access, /"GET \/callback\?/);
    assert.match(access, /"GET \/api\/appointments HTTP\/2\.0" 200/);
    await stop(app);
  });

  it('plain http on the proxy only redirects to https', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.http}/login`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), 'https://localhost/login');
  });

  it('with TRUST_PROXY=0: says at start why logins will fail, and the callback indeed fails', async () => {
    app = startApp('0');
    await waitForReady(`http://127.0.0.1:${ports.app}/readyz`, app, 'the app');
    await waitForOutput(app, /TRUST_PROXY=0/);
    const warnings = app.output().match(/TRUST_PROXY=0/g) ?? [];
    assert.equal(warnings.length, 1, `one warning at start naming TRUST_PROXY; output:\n${app.output()}`);
    assert.match(app.output(), /Secure/);

    const { context, page } = await openPage(browser!);
    try {
      await page.goto(`${appUrl}/login?returnTo=/profile`, { timeout: STEP_TIMEOUT });
      await finishAtProvider(page, { appUrl, issuer }, ALICE);
      // express-session saw plain http and did not send the Secure cookie: the callback has no login to finish.
      assert.ok(await appErrorCode(page), `an error page at ${page.url()}`);
      assert.equal((await context.cookies(appUrl)).length, 0);
    } finally {
      await context.close();
    }
    await stop(app);
  });
});

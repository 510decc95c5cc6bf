/**
 * The production start, as an operator runs it: the built `dist/` in a copy of the
 * project installed with `npm ci --omit=dev --omit=optional`, started with `npm run start:prod`
 * (NODE_ENV=production, plain `node`, no TypeScript loader), configured for a real
 * provider. The provider is the embedded one started on its own (`npm run
 * demo:provider` from this development tree), so the app talks to it exactly as
 * to Auth0 or Keycloak. `npm run test:prod` builds first.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_CLIENT } from '../../src/config/config.js';
import { demoAppEnvironment } from '../../src/demo/app-environment.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { ALICE } from '../helpers/app-login.js';
import { Browser } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { loginAtProvider } from '../helpers/provider-login.js';

const SESSION_SECRET = 'production-check-secret-0123456789abcdef';

/** Packages a production install must not carry: the demo provider's and the build's. */
const DEV_ONLY_PACKAGES = ['oidc-provider', 'koa', 'tsx', 'typescript', 'esbuild', 'playwright-core'];

interface Started {
  readonly child: ChildProcess;
  /** Resolves when every process of the group has closed its output. */
  readonly closed: Promise<void>;
  output(): string;
}

/** Starts a command in its own process group (npm runs node under a shell: stop them together). */
function start(command: string, args: string[], cwd: string, env: Record<string, string>): Started {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, closed, output: () => output };
}

function stopGroup(proc: Started | undefined, signal: NodeJS.Signals): void {
  if (proc?.child.pid === undefined || proc.child.exitCode !== null) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitFor(url: string, proc: Started, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (proc.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${what} did not answer ${url}; output:\n${proc.output()}`);
}

describe('npm run start:prod from a production install (npm ci --omit=dev --omit=optional)', () => {
  let installDir = '';
  let provider: Started | undefined;
  let app: Started | undefined;
  let appUrl = '';

  before(async () => {
    assert.ok(existsSync(path.join(PROJECT_ROOT, 'dist', 'server.js')), 'dist/server.js exists (npm run build)');
    // What a deployment ships: the manifest, the lockfile, the build and the files served next to it.
    installDir = mkdtempSync(path.join(tmpdir(), 'oidc-bff-prod-'));
    for (const entry of ['package.json', 'package-lock.json', 'dist', 'views', 'locales', 'public']) {
      cpSync(path.join(PROJECT_ROOT, entry), path.join(installDir, entry), { recursive: true });
    }
    const install = spawnSync(
      'npm',
      ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline'],
      {
        cwd: installDir,
        encoding: 'utf8',
      },
    );
    assert.equal(install.status, 0, `npm ci --omit=dev --omit=optional failed:\n${install.stdout}\n${install.stderr}`);

    const [appPort, providerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    appUrl = `http://localhost:${appPort}`;
    provider = start(process.execPath, ['--import', 'tsx', 'src/demo/provider-main.ts'], PROJECT_ROOT, {
      PORT: String(appPort),
      DEMO_PROVIDER_PORT: String(providerPort),
      DEMO_API_PORT: String(apiPort),
      LOG_LEVEL: 'warn',
    });
    const issuer = `http://127.0.0.1:${providerPort}`;
    await waitFor(`${issuer}/.well-known/openid-configuration`, provider, 'the demo provider');

    app = start('npm', ['run', 'start:prod'], installDir, {
      PORT: String(appPort),
      BASE_URL: appUrl,
      ...demoAppEnvironment(issuer, `http://127.0.0.1:${apiPort}/`),
      SESSION_SECRET,
      LOG_LEVEL: 'info',
    });
    await waitFor(`${appUrl}/readyz`, app, 'the production app');
  });

  after(async () => {
    stopGroup(app, 'SIGKILL');
    stopGroup(provider, 'SIGKILL');
    if (installDir) rmSync(installDir, { recursive: true, force: true });
  });

  it('installs no demo-only or build-only package', () => {
    for (const name of DEV_ONLY_PACKAGES) {
      assert.ok(!existsSync(path.join(installDir, 'node_modules', name)), `${name} is not installed`);
    }
  });

  it('serves a login against the separately started provider and proxies an API call', async () => {
    const browser = new Browser();
    const result = await loginAtProvider(browser, `${appUrl}/login?returnTo=/profile`, {
      login: ALICE.login,
      password: ALICE.password,
    });
    assert.ok(
      result.urls.some((url) => url.startsWith(`${appUrl}/callback`)),
      `came back through the callback (visited ${result.urls.join(' → ')})`,
    );
    assert.equal(result.urls.at(-1), `${appUrl}/profile`);
    assert.equal(result.response.status, 200);

    const api = await browser.request(`${appUrl}/api/appointments`, {
      headers: { 'X-CSRF': '1', Accept: 'application/json' },
    });
    assert.equal(api.status, 200);
    const body = (await api.json()) as { appointments?: unknown };
    assert.ok(Array.isArray(body.appointments), 'the demo API answered with the appointments');
  });

  it('runs in production mode, logs no secret, and shuts down gracefully on SIGTERM', async () => {
    assert.ok(app);
    // SIGTERM to the whole process group, as systemd's stop does (KillMode=control-group).
    stopGroup(app, 'SIGTERM');
    await app.closed;
    const output = app.output();
    assert.match(output, /"msg":"shutting down"/);
    assert.doesNotMatch(output, /Failed to start|Unsupported runtime/);
    // Production refuses the demo: no demo provider started, no demo account advertised.
    assert.doesNotMatch(output, /demo account|demo identity provider/);
    for (const secret of [DEMO_CLIENT.clientSecret, SESSION_SECRET]) assert.ok(!output.includes(secret));
  });
});

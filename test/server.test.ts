/** The process entry: `npm start`'s behaviour as a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ALICE } from './helpers/app-login.js';
import { Browser } from './helpers/browser.js';
import { freePort } from './helpers/free-port.js';
import { loginAtProvider } from './helpers/provider-login.js';

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitUntilReady(appUrl: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${appUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`ready within 20 s; output:\n${output()}`);
}

describe('src/server.ts', () => {
  it('exits non-zero with one message listing every configuration problem, without secrets', async () => {
    const secret = 'my-client-secret-value';
    const proc = start({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'http://idp.example.com',
      OIDC_CLIENT_SECRET: secret,
      PORT: 'x',
    });
    const code = await proc.exited;
    assert.equal(code, 1);
    const out = proc.output();
    assert.match(out, /Invalid configuration/);
    assert.match(out, /PORT/);
    assert.ok(!out.includes(secret));
  });

  it('starts in demo mode, becomes ready, and shuts down gracefully on SIGTERM (exit 0) after finishing in-flight work', async () => {
    const [port, providerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const proc = start({
      PORT: String(port),
      DEMO_PROVIDER_PORT: String(providerPort),
      DEMO_API_PORT: String(apiPort),
      LOG_LEVEL: 'warn',
    });
    try {
      const deadline = Date.now() + 20_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        ready = await fetch(`http://localhost:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, `ready within 20 s; output:\n${proc.output()}`);
      assert.match(proc.output(), /Open http:\/\/localhost:\d+\/ and log in with a demo account/);
      const home = await fetch(`http://localhost:${port}/`);
      assert.equal(home.status, 200);
      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ALICE } from './helpers/app-login.js';
import { Browser } from './helpers/browser.js';
import { freePort } from './helpers/free-port.js';
import { loginAtProvider } from './helpers/provider-login.js';
  it('serves the demo API alone and refuses calls without a token', async () => {
    const apiPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/api/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        DEMO_API_PORT: String(apiPort),
        DEMO_PROVIDER_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const deadline = Date.now() + 20_000;
      let health: Response | undefined;
      while (!health && Date.now() < deadline) {
        health = await fetch(`http://127.0.0.1:${apiPort}/health`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(health?.status, 200);
      const anonymous = await fetch(`http://127.0.0.1:${apiPort}/appointments`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm="demo-api"/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** The process entry: `npm start`'s behaviour as a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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
  // Generous: the child compiles and starts the whole app while other test files use the CPU too.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${appUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`ready within 60 s; output:\n${output()}`);
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
});

describe('src/server.ts in demo mode', () => {
  it('starts, becomes ready; on SIGTERM finishes the request in flight, answers 503 to a new one, and exits 0', async () => {
    // The downstream API: `/slow` answers after a while, anything else at once.
    let slowArrived = false;
    const api = http.createServer((req, res) => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (req.url?.startsWith('/slow')) {
        slowArrived = true;
        setTimeout(answer, 1500);
      } else answer();
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const [port, providerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const proc = start({
      PORT: String(port),
      DEMO_PROVIDER_PORT: String(providerPort),
      DEMO_API_PORT: String(apiPort),
      API_BASE_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/`,
      LOG_LEVEL: 'warn',
    });
    const appUrl = `http://localhost:${port}`;
    try {
      await waitUntilReady(appUrl, proc.output);
      assert.match(proc.output(), /Open http:\/\/localhost:\d+\/ and log in with a demo account/);
      assert.equal((await fetch(`${appUrl}/`)).status, 200);
      const browser = new Browser();
      await loginAtProvider(browser, `${appUrl}/login`, { login: ALICE.login, password: ALICE.password });
      const cookie = browser.cookiesFor(new URL(appUrl));
      const head = (path: string, extra = '') =>
        `GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nAccept: application/json\r\n${extra}\r\n`;

      // One keep-alive connection: the slow call is in flight when SIGTERM comes, the next call follows on it.
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(head('/api/slow'));
      while (!slowArrived) await new Promise((r) => setTimeout(r, 20));
      proc.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      socket.write(head('/api/after-sigterm', 'Connection: close\r\n'));
      await closed;

      const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      assert.deepEqual(statuses, [200, 503], received);
      assert.match(received, /"error":"shutting_down"/);
      // A new connection is no longer accepted (or, if it still is, refused with 503).
      const late = await fetch(`${appUrl}/`).then(
        (r) => r.status,
        () => 'refused',
      );
      assert.ok(late === 'refused' || late === 503, `a new request after SIGTERM got ${late}`);
      assert.equal(await proc.exited, 0, proc.output());
    } finally {
      proc.child.kill('SIGKILL');
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
    }
  });
});

describe('src/demo/api/main.ts (npm run demo:api)', () => {
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
      const deadline = Date.now() + 60_000;
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

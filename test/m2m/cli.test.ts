/**
 * `npm run m2m -- <METHOD> <path>` as a child process against the demo
 * provider and API: the API's JSON on stdout, one line on stderr otherwise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_M2M_CLIENT } from '../../src/config/config.js';
import { startM2mBackends, type M2mBackends } from '../helpers/m2m-backends.js';

describe('CLI: npm run m2m -- <METHOD> <path>', () => {
  let backends: M2mBackends;
  before(async () => {
    backends = await startM2mBackends();
  });
  after(() => backends.close());

  const cli = fileURLToPath(new URL('../../src/m2m/cli.ts', import.meta.url));
  function run(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Run from an empty directory so no local .env interferes; only the stack's variables are set,
      // and LOG_LEVEL only when a test sets it.
      const { LOG_LEVEL: _unset, ...stackEnv } = backends.env;
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, ...args], {
        cwd: tmpdir(),
        env: { PATH: process.env['PATH'] ?? '', ...stackEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const withoutRuntimeWarning = (text: string) => text.replace(/^oidc-provider WARNING.*$/gm, '').trim();

  test('GET /reports/daily prints the JSON and exits 0', async () => {
    const { code, stdout, stderr } = await run(['GET', '/reports/daily']);
    assert.equal(code, 0, stderr);
    const body = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(body['generatedFor'], DEMO_M2M_CLIENT.clientId);
    assert.equal(withoutRuntimeWarning(stderr), '');
  });

  test('with LOG_LEVEL set, the token request is logged on stderr (never the token); stdout stays JSON', async () => {
    const { code, stdout, stderr } = await run(['GET', '/reports/daily'], { LOG_LEVEL: 'info' });
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as Record<string, unknown>)['generatedFor'], DEMO_M2M_CLIENT.clientId);
    assert.match(stderr, /m2m token obtained/);
    assert.doesNotMatch(stderr, /eyJ/);
  });

  test('M2M_DPOP=on: the token is DPoP-bound and the call carries a proof the demo API accepts', async () => {
    const { code, stdout, stderr } = await run(['GET', '/reports/daily'], { M2M_DPOP: 'on', LOG_LEVEL: 'info' });
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as Record<string, unknown>)['generatedFor'], DEMO_M2M_CLIENT.clientId);
    // The demo API refuses a DPoP-bound token without a valid proof: a 200 means the proof passed.
    assert.match(stderr, /"tokenType":"dpop"/);
    assert.doesNotMatch(stderr, /eyJ/);
  });

  test('a wrong path exits 1 with one line on stderr', async () => {
    const { code, stdout, stderr } = await run(['GET', '/no-such-report']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const message = withoutRuntimeWarning(stderr);
    assert.equal(message.split('\n').length, 1);
    assert.match(message, /GET \/no-such-report → HTTP 404 not_found/);
  });

  test('a wrong secret exits 1 with the typed error and without the secret', async () => {
    const wrong = 'cli-wrong-secret-5566778899';
    const { code, stdout, stderr } = await run(['GET', '/reports/daily'], {
      M2M_CLIENT_ID: DEMO_M2M_CLIENT.clientId,
      M2M_CLIENT_SECRET: wrong,
    });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /m2m_invalid_client/);
    assert.ok(!stderr.includes(wrong));
  });

  test('usage errors exit 1', async () => {
    const { code, stderr } = await run(['GET']);
    assert.equal(code, 1);
    assert.match(stderr, /usage: npm run m2m/);
  });

  test('--api management calls the named API with a token for its own audience and scopes', async () => {
    const { code, stdout, stderr } = await run(['--api', 'management', 'GET', '/api/v2/clients']);
    assert.equal(code, 0, stderr);
    const clients = JSON.parse(stdout) as Array<{ client_id: string }>;
    assert.ok(clients.some((c) => c.client_id === DEMO_M2M_CLIENT.clientId));
    // Without --api the default API's target is used, which the management API refuses.
    const refused = await run(['GET', '/api/v2/clients']);
    assert.equal(refused.code, 1);
    const unknown = await run(['--api', 'nope', 'GET', '/x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no API named "nope" \(configured: management\)/);
  });

  test('speaks Japanese under a Japanese locale (LANG=ja_JP.UTF-8); the JSON is the same', async () => {
    const ja = { LANG: 'ja_JP.UTF-8' };
    const usage = await run(['GET'], ja);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /^m2m: 使い方：npm run m2m -- \[--api <name>\] <METHOD> <path> \[json-body\]/m);
    const relative = await run(['GET', 'reports/daily'], ja);
    assert.match(relative.stderr, /パスは「\/」で始めてください（指定された値："reports\/daily"）/);
    const unknown = await run(['--api', 'nope', 'GET', '/x'], ja);
    assert.match(unknown.stderr, /「nope」という名前のAPIはありません（設定済み：management）/);
    // LC_ALL outranks LANG (POSIX): C is English.
    const english = await run(['GET'], { ...ja, LC_ALL: 'C' });
    assert.match(english.stderr, /usage: npm run m2m/);
    // A typed error keeps its English code and explains itself in Japanese.
    const wrongSecret = await run(['GET', '/reports/daily'], {
      ...ja,
      M2M_CLIENT_ID: DEMO_M2M_CLIENT.clientId,
      M2M_CLIENT_SECRET: 'cli-wrong-secret-ja-112233',
    });
    assert.equal(wrongSecret.code, 1);
    assert.match(
      wrongSecret.stderr,
      /m2m: m2m_invalid_client: IDプロバイダーがM2Mクライアントのクレデンシャルを受け付けませんでした/,
    );
    const ok = await run(['GET', '/reports/daily'], ja);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as Record<string, unknown>)['generatedFor'], DEMO_M2M_CLIENT.clientId);
  });
});

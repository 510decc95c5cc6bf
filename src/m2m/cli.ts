/**
 * `npm run m2m -- [--api <name>] <METHOD> <path> [json-body]`
 *
 * Calls the configured API as the M2M client (RFC 6749 §4.4 client
 * credentials), with the same module and configuration as the app:
 * `.env` if present, then the environment (`readConfig`). In demo mode (no
 * OIDC_ISSUER) it talks to the demo stack that `npm start` runs
 * (provider http://127.0.0.1:3001, API http://127.0.0.1:3002/).
 *
 *   npm run m2m -- GET /reports/daily
 *   npm run m2m -- GET /me
 *   npm run m2m -- --api management GET /api/v2/clients
 *
 * `--api <name>` calls a named API (`API_<NAME>_BASE_URL`) with a token for
 * its own audience/resource and scope (`API_<NAME>_AUDIENCE`/`_RESOURCE`,
 * `_SCOPE`); without it, the default API with `M2M_AUDIENCE`/`M2M_RESOURCE`
 * and `M2M_SCOPE`.
 *
 * Prints the API's JSON on stdout and exits 0 on a 2xx answer. Otherwise one
 * line on stderr (the error code and a reason; never the secret or the token)
 * and exit code 1. Set LOG_LEVEL to see the token source's logs on stderr.
 * Its own messages are in Japanese under a Japanese locale (`LANG=ja_JP.UTF-8`;
 * config/cli-language.ts), from the same catalogues as the pages (locales/<language>/cli.json).
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/config.js';
import { readConfig } from '../config/read-config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { M2mApiClient, type M2mApiClientOptions } from './api-client.js';
import { DEFAULT_API_NAME } from '../config/apis.js';
import { ClientCredentialsTokens } from './client.js';
import { importClientKeys } from '../oidc/client-keys.js';
import { readCliLanguage } from '../config/cli-language.js';
import { translator, type Translate } from '../i18n/catalogues.js';
import type { Language } from '../i18n/languages.js';

/** The command line's syntax, the same in every language. */
const SYNTAX = 'npm run m2m -- [--api <name>] <METHOD> <path> [json-body]';
const EXAMPLE = 'npm run m2m -- GET /reports/daily';

class UsageError extends Error {}

function parseArgs(
  argv: string[],
  t: Translate,
): { api: string | undefined; method: string; path: string; body: unknown } {
  const usage = t('cli:m2m.usage', { syntax: SYNTAX, example: EXAMPLE });
  let api: string | undefined;
  if (argv[0] === '--api') {
    api = argv[1];
    if (!api) throw new UsageError(t('cli:m2m.api_name_missing', { usage }));
    argv = argv.slice(2);
  }
  const [method, path, rawBody, ...extra] = argv;
  if (!method || !path || extra.length > 0) throw new UsageError(usage);
  if (!path.startsWith('/'))
    throw new UsageError(t('cli:m2m.path_not_absolute', { got: JSON.stringify(path.slice(0, 40)), usage }));
  let body: unknown;
  if (rawBody !== undefined) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw new UsageError(t('cli:m2m.body_not_json'));
    }
  }
  return { api, method, path, body };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Runs the CLI; returns the exit code. Exported for tests that prefer not to spawn a process. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  language: Language = readCliLanguage(),
): Promise<number> {
  const t = translator(language);
  try {
    const { api: apiName, method, path, body } = parseArgs(argv, t);
    const config = readConfig();
    if (!config.m2m) throw new UsageError(t('cli:m2m.not_configured'));
    // Logs go to stderr, and only when asked for: stdout is the API's JSON.
    const logger = createLogger(config.logLevelExplicit ? config.logLevel : 'silent', process.stderr);
    const keys = config.clientKeys ? await importClientKeys(config.clientKeys) : null;
    const tokens = new ClientCredentialsTokens({
      ...config.m2m,
      privateKey: keys?.signingKey,
      timeoutSeconds: config.oidc.timeoutSeconds,
      logger,
    });
    let target: Pick<M2mApiClientOptions, 'baseUrl' | 'tokenRequest'> = { baseUrl: config.api.baseUrl };
    if (apiName !== undefined) {
      const named = config.apis.find((a) => a.name === apiName.toLowerCase() && a.name !== DEFAULT_API_NAME);
      if (!named) {
        const names = config.apis.filter((a) => a.name !== DEFAULT_API_NAME).map((a) => a.name);
        throw new UsageError(
          t('cli:m2m.unknown_api', {
            name: apiName.slice(0, 40),
            configured: names.join(', ') || t('cli:m2m.no_apis'),
          }),
        );
      }
      // Empty values: the API's own target, never M2M_AUDIENCE/M2M_SCOPE, which are the default API's.
      target = {
        baseUrl: named.baseUrl,
        tokenRequest: { audience: named.audience ?? '', resource: named.resource ?? '', scope: named.scope ?? '' },
      };
    }
    const api = new M2mApiClient({ tokens, ...target, timeoutMs: config.api.timeoutMs, logger });
    const result = await api.call(method, path, body);
    if (!result.ok) {
      const described =
        typeof result.body === 'object' && result.body !== null
          ? [
              (result.body as Record<string, unknown>)['error'],
              (result.body as Record<string, unknown>)['error_description'],
            ]
              .filter((part) => typeof part === 'string')
              .join(': ')
          : String(result.body).slice(0, 200);
      err.write(
        `m2m: ${result.method} ${result.path} → HTTP ${result.status}${described ? ` ${oneLine(described)}` : ''}\n`,
      );
      return 1;
    }
    out.write(typeof result.body === 'string' ? `${result.body}\n` : `${JSON.stringify(result.body, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) err.write(`m2m: ${error.message}\n`);
    else if (error instanceof ConfigError) err.write(`m2m: ${oneLine(error.message)}\n`);
    else if (error instanceof AppError) err.write(`m2m: ${error.code}: ${oneLine(error.describe(t))}\n`);
    else {
      const message = error instanceof Error ? oneLine(error.message) : t('cli:m2m.unknown_error');
      err.write(`m2m: ${t('cli:m2m.unexpected_error', { message })}\n`);
    }
    return 1;
  }
}

// Run only when executed directly (`tsx src/m2m/cli.ts`), not when imported by a test.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}

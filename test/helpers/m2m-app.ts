/**
 * Swaps the M2M token source behind a running test stack's app: the stack's
 * server gets a fresh `createApp` with the same services but another (or no)
 * ClientCredentialsTokens, so tests can show wrong secrets and "not configured".
 */
import { createApp } from '../../src/web/app.js';
import type { ClientCredentialsTokens } from '../../src/m2m/client.js';
import type { Stack } from './stack.js';

export interface M2mMount {
  /** Swaps the token source behind the routes (`null`: M2M not configured). */
  use(m2m: ClientCredentialsTokens | null): void;
}

export function mountM2mRoutes(stack: Stack, m2m: ClientCredentialsTokens | null): M2mMount {
  // The real app, with the same services except the token source under test.
  const build = (tokens: ClientCredentialsTokens | null) => createApp({ ...stack.services, m2m: tokens });
  let app = build(m2m);
  stack.appServer.removeAllListeners('request');
  stack.appServer.on('request', (req, res) => app(req, res));
  return {
    use(tokens) {
      app = build(tokens);
    },
  };
}

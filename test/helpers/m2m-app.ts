/**
 * Swaps the token provider behind a running test stack's app: the stack's
 * server gets a fresh `createApp` with the same services but another (or no)
 * ClientCredentialsProvider, so tests can show wrong secrets and "not configured".
 */
import { createApp } from '../../src/web/app.js';
import type { ClientCredentialsProvider } from '../../src/m2m/client-credentials.js';
import type { Stack } from './stack.js';

export interface M2mMount {
  /** Swaps the token provider behind the routes (`null`: M2M not configured). */
  use(m2m: ClientCredentialsProvider | null): void;
}

export function mountM2mRoutes(stack: Stack, m2m: ClientCredentialsProvider | null): M2mMount {
  // The real app, with the same services except the token provider under test.
  const build = (provider: ClientCredentialsProvider | null) => createApp({ ...stack.services, m2m: provider });
  let app = build(m2m);
  stack.appServer.removeAllListeners('request');
  stack.appServer.on('request', (req, res) => app(req, res));
  return {
    use(provider) {
      app = build(provider);
    },
  };
}

/**
 * What a login holds for each configured API, as the pages show it (`/session/info`, the tokens
 * page): never a token, only whose token a call sends, when the user's token for that API expires,
 * and whether the provider refused one.
 *
 * - A `user` or `user_or_client` API sends the user's token (a logged-in session is the only one
 *   these pages serve). The default API's token comes from the login; a named API's from a
 *   refresh-token grant naming it on first use (api-tokens.ts), so it may not be held yet.
 * - A `client` API sends the app's client-credentials token (the M2M cache), never the user's:
 *   the login holds nothing for it.
 */
import { DEFAULT_API_NAME, type ApiTokenKind, type DownstreamApi } from '../config/apis.js';
import type { TokenSet } from '../oidc/tokens.js';

export interface ApiTokenStatus {
  readonly name: string;
  readonly mountPath: string;
  /** Its configured `API_<NAME>_TOKEN` (`user` for the default API). */
  readonly token: ApiTokenKind;
  /** The API's identifier at the provider (`resource` or `audience`), if it has one. */
  readonly target: string | null;
  /** Whose access token this login's calls send: the user's, or the app's own. */
  readonly sends: 'user' | 'app';
  /** The user's access token for this API, when one is held (timings and scope only). */
  readonly accessToken: {
    readonly expiresAt: number;
    readonly lifetimeSeconds: number;
    readonly scope?: string;
  } | null;
  /** The OAuth error with which the provider refused this API a token for this login. */
  readonly refused: string | null;
}

export function apiTokenStatuses(apis: readonly DownstreamApi[], held: TokenSet): ApiTokenStatus[] {
  return apis.map((api) => {
    const common = {
      name: api.name,
      mountPath: api.mountPath,
      token: api.token,
      target: api.resource ?? api.audience ?? null,
    };
    if (api.token === 'client') return { ...common, sends: 'app', accessToken: null, refused: null };
    const token = api.name === DEFAULT_API_NAME ? held : held.apiTokens?.[api.name];
    return {
      ...common,
      sends: 'user',
      accessToken: token
        ? {
            expiresAt: token.expiresAt,
            lifetimeSeconds: token.lifetimeSeconds,
            ...(token.scope !== undefined && { scope: token.scope }),
          }
        : null,
      refused: held.apiRefusals?.[api.name] ?? null,
    };
  });
}

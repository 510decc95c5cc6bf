/**
 * Every configured API (config/apis.ts) and the proxies that reach it: one per kind of token
 * its calls may carry (API_<NAME>_TOKEN).
 *
 * - `user`: the logged-in user's access token for that API. The default API's comes from the
 *   login; a named API's from a refresh-token grant that names it (tokens/api-tokens.ts).
 * - `client`: the app's own client-credentials token for that API's audience/resource and scope,
 *   from the M2M cache (src/m2m/), never a user's: the API sees the app, not the user.
 * - `user_or_client`: the user's when the session has a login, else the app's.
 * The browser's call needs a session and the CSRF header either way (web/api-gateway.ts): the
 * proxy is this app's API surface, whoever's token it sends on.
 */
import { apiForPath, DEFAULT_API_NAME, type DownstreamApi } from '../config/apis.js';
import type { ApiConfig } from '../config/config.js';
import type { FlowLog } from '../flow/flow-log.js';
import type { ClientCredentialsTokens } from '../m2m/client.js';
import { apiGrantTarget } from '../tokens/api-tokens.js';
import type { TokenService } from '../tokens/token-service.js';
import { ApiProxy, type ApiCredentials } from './api-proxy.js';

/** One API and its proxies: `user` for calls with the user's token, `client` with the app's. */
export interface ApiRoute {
  readonly api: DownstreamApi;
  readonly user?: ApiProxy;
  readonly client?: ApiProxy;
}

export interface ApiRoutesDeps {
  readonly settings: ApiConfig;
  readonly apis: readonly DownstreamApi[];
  readonly tokens: TokenService;
  readonly m2m: ClientCredentialsTokens | null;
  readonly flowLog: FlowLog;
  readonly gatewayHeaders: readonly string[];
}

export class ApiRoutes {
  readonly #routes: readonly ApiRoute[];
  readonly #apis: readonly DownstreamApi[];

  constructor(deps: ApiRoutesDeps) {
    this.#routes = deps.apis.map((api) => {
      const proxy = (tokens: ApiCredentials) =>
        new ApiProxy({
          api: { ...deps.settings, baseUrl: api.baseUrl },
          target: { name: api.name, mountPath: api.mountPath },
          tokens,
          dpopKeys: deps.tokens.dpopKeys,
          flowLog: deps.flowLog,
          gatewayHeaders: deps.gatewayHeaders,
        });
      const user = api.token === 'client' ? undefined : proxy(userCredentials(deps.tokens, api));
      const client = api.token === 'user' || !deps.m2m ? undefined : proxy(clientCredentials(deps.m2m, api));
      return { api, ...(user && { user }), ...(client && { client }) };
    });
    this.#apis = this.#routes.map((route) => route.api);
  }

  /** The route of a browser path under `/api/`: a named API's mount, else the default API. */
  forPath(url: string): ApiRoute | undefined {
    const api = apiForPath(this.#apis, url);
    return this.#routes.find((route) => route.api === api);
  }

  get all(): readonly ApiRoute[] {
    return this.#routes;
  }

  async close(): Promise<void> {
    await Promise.all(this.#routes.flatMap((route) => [route.user?.close(), route.client?.close()]));
  }
}

/** The user's token for `api`: the login's for the default API, a grant naming the API for the others. */
function userCredentials(tokens: TokenService, api: DownstreamApi): ApiCredentials {
  if (api.name === DEFAULT_API_NAME) return tokens;
  const target = apiGrantTarget(api);
  return { getTokens: (sessionId, request) => tokens.getApiToken(sessionId, target, request) };
}

/**
 * The app's client-credentials token for `api`, from the shared cache. The API names its own
 * target: empty values stop the M2M client from falling back to M2M_AUDIENCE/M2M_SCOPE, which
 * are another API's. A token the API refused (RFC 6750 §3.1 `invalid_token`) is dropped from
 * the cache, so the one retry gets a new one. With M2M_DPOP the token is bound to the app
 * instance's key, and each call carries a proof of it like a DPoP login's (credentials.ts).
 */
function clientCredentials(m2m: ClientCredentialsTokens, api: DownstreamApi): ApiCredentials {
  const target = { audience: api.audience ?? '', resource: api.resource ?? '', scope: api.scope ?? '' };
  return {
    async getTokens(_sessionId, request) {
      if (request?.force === 'rejected_by_api' && request.rejectedAccessToken) {
        await m2m.invalidate(request.rejectedAccessToken);
      }
      return m2m.getBoundToken(target);
    },
  };
}

/**
 * The one corpus of `/api` path tricks: every entry must be refused with
 * `400 invalid_path` (or never leave the API's origin and prefix). The unit
 * test (api-target.test.ts) runs it against `mapApiTarget`, the gateway test
 * (test/web/api-gateway.test.ts) against the running app with a second API listening
 * as the place a trick would escape to. `EVIL` stands for that API's host.
 */
export const EVIL = '{evil}';

export const PATH_TRICKS: readonly string[] = [
  // Authorities: an empty first segment or an encoded one turns the rest into a host.
  `//${EVIL}/x`,
  `/%2F%2F${EVIL}/x`,
  '/%2f%2fevil.test',
  `/http:%2F%2F${EVIL}/x`,
  `/%5c%5c${EVIL}`,
  '/a\\b',
  '/a//b',
  // Dot segments, plain and encoded (RFC 3986 §5.2.4).
  '/../x',
  '/./x',
  '/a/../../x',
  '/..%2F..%2Fadmin',
  '/%2e%2e/x',
  '/%2E%2E/x',
  '/.%2e/x',
  '/a/%2e%2e%2f%2e%2e/x',
  '/a/..%2f..%2f..%2fadmin',
  // Java servlet containers (Tomcat, Jetty, Spring) drop `;parameters` from a segment before
  // resolving dot segments, so `..;` is `..` to them.
  '/..;/admin',
  '/..;jsessionid=x/admin',
  '/a/..;/..;/admin',
  '/.;/admin',
  '/..%3b/x',
  '/..%3B/x',
  '/%2e%2e%3b/x',
  '/%2e%2e;x=1/admin',
  // Double encoding: a second decoder (a servlet container, a WAF, a framework) turns `%252e` into `.`.
  '/%252e%252e/admin',
  '/%252E%252E%252Fadmin',
  '/a/%252f/b',
  '/%25%32%65%25%32%65/admin',
  '/%255c',
  // Control characters and invalid escapes.
  '/x%00y',
  '/x\u0000y',
  '/x\ty',
  '/%zz',
  '/x?q=%00',
  // Nothing to call.
  '/',
];

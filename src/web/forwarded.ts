/**
 * What a request says about its client, believed only as far as `TRUST_PROXY`
 * allows: exactly that many hops of `X-Forwarded-For` / `X-Forwarded-Proto`,
 * as Express's numeric `trust proxy` setting does (RFC 7239 §8 on why
 * forwarded headers from untrusted hops must be ignored).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';

/** The client's address: the socket's peer, or `trustProxy` hops back through `X-Forwarded-For`. */
export function clientIp(req: IncomingMessage, trustProxy: number): string {
  return proxyaddr(req, (_address, hop) => hop < trustProxy);
}

/** True over TLS, or when a trusted proxy says the browser used https. */
export function isSecureRequest(req: IncomingMessage, trustProxy: number): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (trustProxy === 0) return false;
  const proto = req.headers['x-forwarded-proto'];
  if (typeof proto !== 'string') return false;
  const comma = proto.indexOf(',');
  return (comma === -1 ? proto : proto.slice(0, comma)).trim() === 'https';
}

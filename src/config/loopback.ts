/** Loopback hosts: the only ones plain http (or plaintext Redis) may reach in production. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `hostname` as `URL` spells it (`[::1]` for IPv6). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost');
}

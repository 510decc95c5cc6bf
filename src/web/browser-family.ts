/**
 * The short browser family a user recognises their devices by on the
 * "Sessions" list: "Firefox on Windows", "Safari on iOS". Parsed by bowser
 * (a small, dependency-free User-Agent parser); only this short label is
 * kept, never the User-Agent itself, which is longer and more identifying
 * than the list needs.
 */
import Bowser from 'bowser';

/** Longest label kept: a hostile User-Agent cannot grow a stored login. */
const MAX_LENGTH = 60;

export function browserFamily(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown browser';
  const { browser, os } = Bowser.parse(userAgent.slice(0, 512));
  const name = browser.name || 'Unknown browser';
  const label = os.name ? `${name} on ${os.name}` : name;
  return label.slice(0, MAX_LENGTH);
}

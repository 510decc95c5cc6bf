/**
 * The short browser family a user recognises their devices by on the
 * "Sessions" list: "Firefox (Windows)", "Safari (iOS)": product names only, so
 * the stored label reads the same in every language (an unknown browser is
 * '', which the pages name in the reader's language). Parsed by bowser
 * (a small, dependency-free User-Agent parser); only this short label is
 * kept, never the User-Agent itself, which is longer and more identifying
 * than the list needs.
 */
import Bowser from 'bowser';

/** Longest label kept: a hostile User-Agent cannot grow a stored login. */
const MAX_LENGTH = 60;

export function browserFamily(userAgent: string | undefined): string {
  if (!userAgent) return '';
  const { browser, os } = Bowser.parse(userAgent.slice(0, 512));
  const name = browser.name || '?';
  const label = os.name ? `${name} (${os.name})` : name;
  return label.slice(0, MAX_LENGTH);
}

/**
 * `returnTo` must be a same-origin relative path, or we become an open
 * redirector (RFC 9700 §4.11.1). Everything doubtful falls back to `/`.
 *
 * Accepted: one leading `/`, then a path with an optional query. Refused:
 * `//host`, `/\host` (browsers treat `\` as `/`), any encoded form of either,
 * schemes, control characters and whitespace, and paths that do not survive a
 * round-trip through the URL parser on our own origin unchanged.
 */
const FALLBACK = '/';
const PLACEHOLDER_ORIGIN = 'http://return-to.invalid';

export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return FALLBACK;
  // Control characters, spaces and backslashes are never part of a path we generate.
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(raw)) return FALLBACK;
  if (!raw.startsWith('/') || raw.startsWith('//')) return FALLBACK;
  let decoded = raw;
  try {
    // Decode repeatedly so %252f%252f cannot smuggle `//` past the check.
    for (let i = 0; i < 3; i += 1) decoded = decodeURIComponent(decoded);
  } catch {
    return FALLBACK;
  }
  if (/^[/\\]{2}|[\u0000-\u001f\u007f\\]/.test(decoded) || /^\/[\s/\\]/.test(decoded)) return FALLBACK;
  const parsed = new URL(raw, PLACEHOLDER_ORIGIN);
  if (parsed.origin !== PLACEHOLDER_ORIGIN) return FALLBACK;
  const normalized = parsed.pathname + parsed.search;
  // Dot segments and the like are normalized away; accept only what stays the same.
  return normalized === raw ? raw : FALLBACK;
}

/**
 * `ui_locales`: the languages a relying party asks the identity provider to show its pages in,
 * "a space-separated list of BCP47 [RFC 5646] language tag values, ordered by preference"
 * (OIDC Core §3.1.2.1; the end-session request takes the same parameter, RP-Initiated Logout 1.0
 * §2). The app sends the language its visitor chose, because its language cookie belongs to the
 * app's origin and never reaches the provider's; the demo provider reads it back here.
 */
import { isLanguage, type Language } from './languages.js';

/** The first tag of the list whose primary language subtag (RFC 5646 §2.1) we speak: `ja-JP en` → `ja`. */
export function languageFromUiLocales(value: unknown): Language | undefined {
  if (typeof value !== 'string') return undefined;
  for (const tag of value.split(' ')) {
    const primary = tag.split('-')[0]?.toLowerCase();
    if (isLanguage(primary)) return primary;
  }
  return undefined;
}

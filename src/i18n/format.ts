/**
 * Dates, durations and numbers in the visitor's language, with `Intl` (ECMA-402):
 * `Dec 2, 2026, 08:47:20 UTC` / `2026/12/02 8:47:20 UTC`, `in 5 minutes` /
 * `5分後`, `2 minutes, 30 seconds` / `2分30秒`. Times are shown in UTC: the
 * server does not know the visitor's time zone, and the flow inspector's times
 * must match the logs. The formatters are built once per language.
 *
 * Japanese writes no space between a number and its unit (`2分`, `30秒`), where
 * CLDR's long unit names have one (`2 分`): the Japanese formatters take the
 * CLDR styles without it (`narrow` relative times) or drop that space.
 */
import { LANGUAGES, type Language } from './languages.js';

export interface Formatters {
  /** Date and time, to the second, in UTC. */
  dateTime(at: number | Date): string;
  /** Time of day only, to the second, in UTC (rows of one step). */
  time(at: number | Date): string;
  /** How far `at` is from `now`, in the largest whole unit: "in 5 minutes", "3 hours ago". */
  relative(at: number, now: number): string;
  /** A length of time in its units: "1 hour", "2 minutes, 30 seconds" / "1時間", "2分30秒". */
  duration(seconds: number): string;
  /** A number with the language's grouping: 12,345. */
  number(value: number): string;
}

const UNITS = [
  { unit: 'day', seconds: 86_400 },
  { unit: 'hour', seconds: 3600 },
  { unit: 'minute', seconds: 60 },
  { unit: 'second', seconds: 1 },
] as const;

/** Per language: whether a space separates a number from its unit name. */
const SPACE_BEFORE_UNIT: Record<Language, boolean> = { en: true, ja: false };

function buildFormatters(language: Language): Formatters {
  const spaced = SPACE_BEFORE_UNIT[language];
  const dateTime = new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'long',
    hourCycle: 'h23',
    timeZone: 'UTC',
  });
  const time = new Intl.DateTimeFormat(language, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  });
  const relative = new Intl.RelativeTimeFormat(language, { numeric: 'auto', style: spaced ? 'long' : 'narrow' });
  const unitFormats = new Map(
    UNITS.map(({ unit }) => [unit, new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long' })]),
  );
  const list = new Intl.ListFormat(language, { type: 'unit', style: spaced ? 'long' : 'narrow' });
  const number = new Intl.NumberFormat(language);

  const inUnit = (value: number, unit: (typeof UNITS)[number]['unit']): string => {
    const parts = (unitFormats.get(unit) as Intl.NumberFormat).formatToParts(value);
    return parts
      .filter((part) => spaced || part.type !== 'literal' || part.value.trim() !== '')
      .map((part) => part.value)
      .join('');
  };

  return {
    dateTime: (at) => dateTime.format(at),
    time: (at) => time.format(at),
    relative(at, now) {
      const seconds = Math.round((at - now) / 1000);
      const { unit, seconds: size } = UNITS.find((u) => Math.abs(seconds) >= u.seconds) ?? UNITS[3];
      return relative.format(Math.trunc(seconds / size), unit);
    },
    duration(seconds) {
      let rest = Math.max(0, Math.round(seconds));
      if (rest === 0) return inUnit(0, 'second');
      const parts: string[] = [];
      for (const { unit, seconds: size } of UNITS) {
        if (rest >= size) {
          parts.push(inUnit(Math.floor(rest / size), unit));
          rest %= size;
        }
      }
      return list.format(parts);
    },
    number: (value) => number.format(value),
  };
}

const FORMATTERS = new Map(LANGUAGES.map((language) => [language, buildFormatters(language)]));

export function formatters(language: Language): Formatters {
  return FORMATTERS.get(language) as Formatters;
}

/** Number and table formatting for the benchmark's report (bench only). */

/** `n` with thousands separators and a fixed number of decimals. */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `OK (target …)` or `MISSED (target …)`. */
export const verdict = (ok: boolean, target: string): string =>
  ok ? `OK (target ${target})` : `MISSED (target ${target})`;

/** A Markdown table. */
/** A storm's status codes as one table cell: `200: 52,574, 503: 2`. */
export const statusCodesCell = (statusCodes: Record<string, number>): string =>
  Object.entries(statusCodes)
    .map(([code, n]) => `${code}: ${fmt(n)}`)
    .join(', ');

/** The answers after a storm as one table cell: `200 yes, 401 NO`. */
export const afterStatusesCell = (statuses: readonly number[]): string =>
  statuses.map((status) => (status === 200 ? '200 yes' : `${status} NO`)).join(', ');

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const benchStarted = Date.now();

/** Seconds since the benchmark started. */
export function elapsedSeconds(): number {
  return (Date.now() - benchStarted) / 1000;
}

/** A progress line with the time since the benchmark started. */
export function log(message: string): void {
  console.log(`[${elapsedSeconds().toFixed(1).padStart(5)}s] ${message}`);
}

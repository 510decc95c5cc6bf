/**
 * docs/benchmark.md (bench only): the machine a run was measured on, and the
 * sections between the `bench:` markers that the benchmark rewrites.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { DOC } from './options.js';

/** The machine and the moment of a run. */
export interface Facts {
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly loadAverage: string;
}

export function machineFacts(): Facts {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    cpu = os.cpus()[0]?.model ?? cpu;
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    cpu,
    cores: os.availableParallelism(),
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

/** Replaces one marked section of docs/benchmark.md (creating the page if needed). */
export function writeDocSection(
  marker: 'figures' | 'observability' | 'profile' | 'layers' | 'several-apis' | 'profile-redis' | 'dpop',
  body: string,
): void {
  const start = `<!-- bench:${marker}:start -->`;
  const end = `<!-- bench:${marker}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  let doc = existsSync(DOC)
    ? readFileSync(DOC, 'utf8')
    : [
        '# Benchmark',
        '',
        'How the proxy, the refresh storm, memory, the Redis store and the cost of metrics and traces are measured: `npm run bench`, `npm run bench -- --profile`, `npm run bench -- --layers`.',
        'The sections between the `bench:` markers are rewritten by those commands; the rest is kept.',
        '',
        '## Figures',
        '',
        '<!-- bench:figures:start -->\n_Not measured yet._\n<!-- bench:figures:end -->',
        '',
        '## Observability costs',
        '',
        '<!-- bench:observability:start -->\n_Not measured yet._\n<!-- bench:observability:end -->',
        '',
        "## Where the app's CPU goes",
        '',
        '### Layer by layer',
        '',
        '<!-- bench:layers:start -->\n_Not measured yet._\n<!-- bench:layers:end -->',
        '',
        '### Profile of the full app',
        '',
        '<!-- bench:profile:start -->\n_Not profiled yet._\n<!-- bench:profile:end -->',
        '',
      ].join('\n');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  doc =
    from !== -1 && to > from
      ? doc.slice(0, from) + block + doc.slice(to + end.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, doc);
}

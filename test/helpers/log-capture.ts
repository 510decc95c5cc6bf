/** A logger that writes into memory, for tests that read what the app logged. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Every line written, as the JSON strings pino wrote. */
  readonly raw: string[];
  /** Every line written, parsed. */
  lines<T = Record<string, unknown>>(): T[];
}

export function captureLogs(level = 'info'): CapturedLogs {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      done();
    },
  });
  return {
    logger: createLogger(level, sink),
    raw,
    lines: <T = Record<string, unknown>>() => raw.map((line) => JSON.parse(line) as T),
  };
}

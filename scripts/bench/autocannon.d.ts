/**
 * Minimal types for autocannon 8 (it ships none): only what scripts/bench/ uses.
 * See node_modules/autocannon/README.md for the full option list.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface Options {
    /** One URL, or several: connections are spread over them round-robin. */
    url: string | string[];
    connections?: number;
    /** Seconds. */
    duration?: number;
    amount?: number;
    /** Requests per second over all connections (a fixed rate instead of as fast as possible). */
    overallRate?: number;
    pipelining?: number;
    /** Seconds before a request counts as a timeout (default 10). */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    title?: string;
    /** Resolve with a RawResult (encoded histograms) to merge windows with aggregateResult. */
    skipAggregateResult?: boolean;
  }

  /** One run's result before aggregation (`skipAggregateResult: true`). */
  export interface RawResult {
    readonly totalCompletedRequests: number;
    /** Seconds. */
    readonly duration: number;
    readonly [key: string]: unknown;
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
  }

  export interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    mismatches: number;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** Milliseconds. */
    latency: Histogram;
    /** Per-second samples; `total` is the number of completed requests. */
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  /** Without a callback the instance is also a thenable resolving to the result. */
  export type Instance = EventEmitter & PromiseLike<Result> & { stop(): void };

  function autocannon(options: Options): Instance;
  namespace autocannon {
    /** Merges raw results (their latency histograms included) into one Result. */
    function aggregateResult(results: RawResult[], options: Options): Result;
  }
  export default autocannon;
}

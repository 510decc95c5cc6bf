/** Reading the app's process-wide Prometheus registry in a test, without a /metrics listener. */
import { registry } from '../../src/observability/metrics.js';

/** The value of the series of counter `name` whose labels are exactly `labels` (0 before its first count). */
export async function counterValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric named ${name}`);
  const wanted = Object.entries(labels);
  const { values } = await metric.get();
  const series = values.find(
    (v) =>
      Object.keys(v.labels).length === wanted.length &&
      wanted.every(([key, value]) => (v.labels as Record<string, unknown>)[key] === value),
  );
  return series?.value ?? 0;
}

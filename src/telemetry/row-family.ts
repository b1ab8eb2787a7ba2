/**
 * A metric family read at scrape time from rows the core keeps (one series per row: per model version, per
 * model), written straight as text lines (render-metrics.ts). prom-client's Counter or Gauge with a collect() that
 * resets and re-adds every row hashes each label set on every scrape; with hundreds of models that was the bulk of
 * a scrape's cost. The text is the same. Rows must have distinct label values.
 */
import type { Registry } from 'prom-client';
import { escapeLabelValue, valueText, type LineSource } from './render-metrics.js';

export interface RowFamily<R> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly labelNames: readonly string[];
  readonly rows: () => Iterable<R>;
  /** The row's label values, in labelNames order. */
  readonly labels: (row: R) => ReadonlyArray<string | number>;
  /** The row's value; undefined: the row has no series. */
  readonly value: (row: R) => number | undefined;
}

/** Registers `family` on `registry`: prom-client's get() for registry.metrics(), lines() for renderMetrics. */
export function registerRowFamily<R>(registry: Registry, family: RowFamily<R>): void {
  const { name, help, type, labelNames } = family;
  const labelText = (values: ReadonlyArray<string | number>) =>
    labelNames.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
  const metric: LineSource & Record<string, unknown> = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => {
      const values = [];
      for (const row of family.rows()) {
        const value = family.value(row);
        if (value === undefined) continue;
        const labels: Record<string, string | number> = {};
        family.labels(row).forEach((v, i) => (labels[labelNames[i]] = v));
        values.push({ labels, value });
      }
      return { name, help, type, aggregator: 'sum', values };
    },
    *lines() {
      for (const row of family.rows()) {
        const value = family.value(row);
        if (value === undefined) continue;
        const text = labelText(family.labels(row));
        yield `${name}${text ? `{${text}}` : ''} ${valueText(value)}`;
      }
    },
    reset: () => undefined,
  };
  // A collector-only metric: the registry reads get() and reset(); prom-client's type wants its own classes.
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

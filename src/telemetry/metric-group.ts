/**
 * A group of Prometheus metrics declared on a registry of its own (security, connections, audit, feedback), and
 * how a group joins the /metrics registry. Each group's file only says which metrics it has. Metrics read from a
 * source's rows at scrape time (lifecycle, drift) are declared with `rowMetric`.
 */
import { Counter, Gauge, Registry } from 'prom-client';

export interface MetricGroup {
  readonly registry: Registry;
}

/** Declares a group on a new registry: `declare` passes `registers` to each metric it creates; its object is returned, with `registry` added. */
export function metricGroup<T extends object>(declare: (registers: Registry[]) => T): T & MetricGroup {
  const registry = new Registry();
  return Object.assign(declare([registry]), { registry });
}

/** The /metrics registry with the groups' metrics added. */
export function withMetrics(registry: Registry, ...groups: readonly MetricGroup[]): Registry {
  return Registry.merge([registry, ...groups.map((g) => g.registry)]);
}

/** A metric whose series are a source's rows, read when /metrics is scraped (nothing on the request path). */
export interface RowMetric<R> {
  readonly kind: 'gauge' | 'counter';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** The rows now; each makes one series. */
  readonly rows: () => Iterable<R>;
  readonly labelsOf: (row: R) => Record<string, string | number>;
  /** The series' value; undefined: the row makes no series (a ratio of nothing, say). */
  readonly value: (row: R) => number | undefined;
}

/**
 * Declares a gauge or counter filled from rows at every scrape: its series are reset, then set from the rows, so a
 * row that goes (an unloaded version) takes its series with it. A counter's rows carry totals kept elsewhere.
 */
export function rowMetric<R>(registers: Registry[], def: RowMetric<R>): void {
  const options = { name: def.name, help: def.help, labelNames: def.labels, registers };
  const fill = (put: (labels: Record<string, string | number>, value: number) => void) => {
    for (const row of def.rows()) {
      const value = def.value(row);
      if (value !== undefined) put(def.labelsOf(row), value);
    }
  };
  if (def.kind === 'gauge')
    new Gauge({
      ...options,
      collect() {
        this.reset();
        fill((labels, value) => this.set(labels, value));
      },
    });
  else
    new Counter({
      ...options,
      collect() {
        this.reset();
        fill((labels, value) => this.inc(labels, value));
      },
    });
}

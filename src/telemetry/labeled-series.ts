/**
 * Counters and histograms for the request path, rendered by prom-client at scrape time. prom-client's own
 * `observe(labels, v)` validates and hashes the label object on every call; here a caller resolves a series once
 * (`series(...values)`) and keeps it, so recording is an addition.
 */
import type { Registry } from 'prom-client';

type LabelValues = Record<string, string | number>;

interface MetricValue {
  readonly metricName?: string;
  readonly labels: LabelValues;
  readonly value: number;
}

abstract class LabeledMetric<S> {
  protected readonly all = new Map<string, { readonly labels: LabelValues; readonly series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly type: 'counter' | 'histogram',
  ) {}

  /** The series for these label values (in labelNames order), created at first use. */
  series(...values: string[]): S {
    const key = values.join('\u0000');
    let entry = this.all.get(key);
    if (!entry) {
      const labels: LabelValues = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, series: this.create() };
      this.all.set(key, entry);
    }
    return entry.series;
  }

  register(registry: Registry): this {
    const metric = {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      get: async () => ({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: this.values() }),
      reset: () => this.all.clear(),
    };
    // A collector-only metric: the registry reads get() and reset(); prom-client's type wants its own classes.
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    return this;
  }

  protected abstract create(): S;
  protected abstract values(): MetricValue[];
}

export interface CounterSeries {
  inc(by?: number): void;
}

export class LabeledCounter extends LabeledMetric<CounterSeries & { value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, 'counter');
  }

  protected create() {
    const s = {
      value: 0,
      inc(by = 1) {
        s.value += by;
      },
    };
    return s;
  }

  protected values(): MetricValue[] {
    return [...this.all.values()].map(({ labels, series }) => ({ labels, value: series.value }));
  }
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface HistogramState extends HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class LabeledHistogram extends LabeledMetric<HistogramState> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, labelNames, 'histogram');
  }

  protected create(): HistogramState {
    const bounds = this.bounds;
    const s: HistogramState = {
      counts: new Float64Array(bounds.length),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        s.sum += value;
        s.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]) {
            s.counts[i] += 1;
            return;
          }
        }
      },
    };
    return s;
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, series } of this.all.values()) {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += series.counts[i];
        out.push({ metricName: bucket, labels: { ...labels, le }, value: below });
      });
      out.push({ metricName: bucket, labels: { ...labels, le: '+Inf' }, value: series.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: series.count });
    }
    return out;
  }
}

/**
 * Counters and histograms for the request path, rendered at scrape time. prom-client's own `observe(labels, v)`
 * validates and hashes the label object on every call; here a caller resolves a series once (`series(...values)`)
 * and keeps it, so recording is an addition. A series formats its labels once, when it is created: a scrape then
 * writes its lines without building an object per bucket (render-metrics.ts reads `lines()`).
 */
import type { Registry } from 'prom-client';
import { escapeLabelValue, valueText, valuesInTurns, type LineSource } from './render-metrics.js';

type LabelValues = Record<string, string | number>;

interface MetricValue {
  readonly metricName?: string;
  readonly labels: LabelValues;
  readonly value: number;
}

/** A series with its labels, as an object (prom-client's get()) and as text (`model="digits",version="1"`). */
interface Entry<S> {
  readonly labels: LabelValues;
  readonly text: string;
  readonly series: S;
}

abstract class LabeledMetric<S> {
  protected readonly all = new Map<string, Entry<S>>();

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
      const text = this.labelNames.map((n) => `${n}="${escapeLabelValue(labels[n])}"`).join(',');
      entry = { labels, text, series: this.create() };
      this.all.set(key, entry);
    }
    return entry.series;
  }

  /** Drops the series whose labels `gone` accepts (e.g. those of a model version no longer loaded). */
  removeWhere(gone: (labels: Readonly<LabelValues>) => boolean): void {
    for (const [key, { labels }] of this.all) if (gone(labels)) this.all.delete(key);
  }

  /** How many series there are now. */
  get size(): number {
    return this.all.size;
  }

  /** Serves the metric from `registry`; `beforeCollect` runs at each scrape before the series are read. */
  register(registry: Registry, beforeCollect?: () => void): this {
    const all = this.all;
    const linesOf = (entry: Entry<S>) => this.linesOf(entry);
    const metric: LineSource & Record<string, unknown> = {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      // prom-client's registry.metrics() and getMetricsAsJSON() read this; built a slice at a time.
      get: async () => {
        beforeCollect?.();
        return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: await this.values() };
      },
      // renderMetrics reads this: the text lines, written from the series' preformatted labels.
      *lines() {
        beforeCollect?.();
        for (const entry of all.values()) yield* linesOf(entry);
      },
      reset: () => this.all.clear(),
    };
    // A collector-only metric: the registry reads get() and reset(); prom-client's type wants its own classes.
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    return this;
  }

  protected abstract create(): S;
  protected abstract values(): Promise<MetricValue[]>;
  protected abstract linesOf(entry: Entry<S>): string[];
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

  protected values(): Promise<MetricValue[]> {
    return valuesInTurns(this.all.values(), ({ labels, series }, out: MetricValue[]) =>
      out.push({ labels, value: series.value }),
    );
  }

  protected linesOf({ text, series }: Entry<CounterSeries & { value: number }>): string[] {
    return [`${this.name}${text ? `{${text}}` : ''} ${valueText(series.value)}`];
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

  protected values(): Promise<MetricValue[]> {
    const bucket = `${this.name}_bucket`;
    return valuesInTurns(this.all.values(), ({ labels, series }, out: MetricValue[]) => {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += series.counts[i];
        out.push({ metricName: bucket, labels: { ...labels, le }, value: below });
      });
      out.push({ metricName: bucket, labels: { ...labels, le: '+Inf' }, value: series.count });
      out.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
      out.push({ metricName: `${this.name}_count`, labels, value: series.count });
    });
  }

  protected linesOf({ text, series }: Entry<HistogramState>): string[] {
    const out: string[] = [];
    const bucket = `${this.name}_bucket{${text ? `${text},` : ''}le=`;
    const plain = text ? `{${text}}` : '';
    let below = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      below += series.counts[i];
      out.push(`${bucket}"${this.bounds[i]}"} ${valueText(below)}`);
    }
    out.push(`${bucket}"+Inf"} ${valueText(series.count)}`);
    out.push(`${this.name}_sum${plain} ${valueText(series.sum)}`);
    out.push(`${this.name}_count${plain} ${valueText(series.count)}`);
    return out;
  }
}

/**
 * Renders a prom-client registry in the Prometheus text format one metric family at a time, yielding to the event
 * loop before each family and between chunks of a large family's series. prom-client's `registry.metrics()` collects
 * and serialises every family in one go: with hundreds of models that held the event loop (and every inference
 * waiting on it) for the whole scrape. The text is the same as prom-client's (test/telemetry/metrics-render.test.ts
 * compares them).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Registry } from 'prom-client';

/** Series lines serialised between two yields: about a millisecond of work on a quiet core. */
export const LINES_PER_TURN = 500;

/** One value as a family's get() (or getForPromString()) returns it; histograms add sharedLabels. */
interface FamilyValue {
  readonly metricName?: string;
  readonly labels?: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string | number>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values?: readonly FamilyValue[];
}

/** The shape prom-client's metric classes and inferd's collector-only metrics share. */
interface Collectable {
  get(): Promise<Family> | Family;
  getForPromString?(): Promise<Family> | Family;
  lines?: LineSource['lines'];
}

/**
 * A family that writes its own text lines (labels formatted once per series, no object per bucket): inferd's
 * labelled series (labeled-series.ts). The renderer writes the HELP and TYPE lines, then these.
 */
export interface LineSource {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  lines(): Iterable<string>;
}

export interface RenderOptions {
  /** Series lines serialised between two yields (default LINES_PER_TURN). */
  readonly linesPerTurn?: number;
}

/**
 * Builds a large family's values a slice of `items` at a time, with a turn of the event loop between slices of
 * about LINES_PER_TURN values: for collectors whose get() would otherwise build tens of thousands of values at once.
 */
export async function valuesInTurns<T, V>(items: Iterable<T>, valuesOf: (item: T, out: V[]) => void): Promise<V[]> {
  const out: V[] = [];
  let sinceTurn = 0;
  for (const item of items) {
    const before = out.length;
    valuesOf(item, out);
    sinceTurn += out.length - before;
    if (sinceTurn >= LINES_PER_TURN) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return out;
}

const escapeText = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A label value as the text format writes it between quotes (backslash, newline and quote escaped). */
export function escapeLabelValue(v: string | number): string | number {
  if (typeof v !== 'string' || !/[\\\n"]/.test(v)) return v;
  return escapeText(v).replace(/"/g, '\\"');
}

/** A sample value as prom-client writes it. */
export function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan'; // sic: prom-client's spelling, kept so the output does not change
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

function labelText(
  labels: Readonly<Record<string, string | number>>,
  exclude?: Readonly<Record<string, unknown>>,
): string[] {
  const out: string[] = [];
  for (const name in labels) {
    if (exclude && Object.prototype.hasOwnProperty.call(exclude, name)) continue;
    out.push(`${name}="${escapeLabelValue(labels[name])}"`);
  }
  return out;
}

function header(family: { readonly name: string; readonly help: string; readonly type: string }): string[] {
  const name = escapeText(family.name);
  return [`# HELP ${name} ${escapeText(family.help)}`, `# TYPE ${name} ${family.type}`];
}

function lineOf(name: string, v: FamilyValue): string {
  const parts = labelText(v.labels ?? {}, v.sharedLabels);
  if (v.sharedLabels) {
    const shared = labelText(v.sharedLabels).join(',');
    if (shared) parts.push(shared);
  }
  return `${v.metricName ?? name}${parts.length ? `{${parts.join(',')}}` : ''} ${valueText(v.value)}`;
}

/**
 * Collects a family's lines into chunks of `linesPerTurn`, each joined into one string as soon as it is full: the
 * many small line strings then die young, and what survives to the end of the scrape is one string per chunk.
 */
class ChunkedText {
  private readonly chunks: string[] = [];
  private lines: string[] = [];

  constructor(private readonly linesPerTurn: number) {}

  /** Adds a line; true when a chunk is full (time to yield). */
  push(line: string): boolean {
    this.lines.push(line);
    if (this.lines.length < this.linesPerTurn) return false;
    this.flush();
    return true;
  }

  /** Ends a family: its last lines become a chunk, and a blank line separates it from the next family. */
  endFamily(): void {
    this.flush();
    this.chunks.push('\n');
  }

  /** The text as chunks of about linesPerTurn lines (their concatenation is the exposition). */
  done(): string[] {
    if (this.chunks.length) this.chunks.pop(); // no blank line after the last family
    return this.chunks;
  }

  private flush(): void {
    if (this.lines.length) this.chunks.push(`${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}

/**
 * The registry's text exposition, rendered a family at a time with a turn of the event loop before each family and
 * after every `linesPerTurn` lines. OpenMetrics registries are left to prom-client.
 */
export async function renderMetrics(registry: Registry, options: RenderOptions = {}): Promise<string> {
  return (await renderMetricChunks(registry, options)).join('');
}

/**
 * renderMetrics as chunks of about `linesPerTurn` lines, to be written one after another (joining megabytes into
 * one string would be one more long step).
 */
export async function renderMetricChunks(registry: Registry, options: RenderOptions = {}): Promise<string[]> {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return [await registry.metrics()];
  const out = new ChunkedText(Math.max(1, options.linesPerTurn ?? LINES_PER_TURN));
  for (const metric of registry.getMetricsAsArray() as unknown as Collectable[]) {
    await nextTurn();
    if (metric.lines) {
      const source = metric as unknown as LineSource;
      for (const line of header(source)) out.push(line);
      for (const line of source.lines()) if (out.push(line)) await nextTurn();
    } else {
      const family = await (metric.getForPromString ? metric.getForPromString() : metric.get());
      for (const line of header(family)) out.push(line);
      const name = escapeText(family.name);
      for (const value of family.values ?? []) if (out.push(lineOf(name, value))) await nextTurn();
    }
    out.endFamily();
  }
  return out.done();
}

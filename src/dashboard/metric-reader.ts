/**
 * Reads metric families from the /metrics registry: the dashboard's numbers are the very values a scrape would
 * return, read through prom-client's get() (collectors run as they do for a scrape), never counted a second time.
 */
import type { Registry } from 'prom-client';

/** One series of a family, as prom-client's get() returns it (histograms name their parts in `metricName`). */
export interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** The samples of the family `name`; none when the registry has no such family (its feature is off). */
export async function readFamily(registry: Registry, name: string): Promise<readonly Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const family = (await metric.get()) as { values?: readonly Sample[] };
  return family.values ?? [];
}

/** Reads the families named, side by side. */
export async function readFamilies<N extends string>(
  registry: Registry,
  names: readonly N[],
): Promise<Record<N, readonly Sample[]>> {
  const values = await Promise.all(names.map((n) => readFamily(registry, n)));
  return Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<N, readonly Sample[]>;
}

/** A label's value as text ('' when absent). */
export function label(s: Sample, name: string): string {
  const v = s.labels[name];
  return v === undefined ? '' : String(v);
}

/**
 * A group of Prometheus metrics declared on a registry of its own (security, connections, audit, feedback), and
 * how a group joins the /metrics registry. Each group's file only says which metrics it has.
 */
import { Registry } from 'prom-client';

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

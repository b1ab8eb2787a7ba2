/**
 * Overload and fallback metrics. Shed counts and in-flight figures are read from the schedulers at scrape time
 * (the request path does no metric work); fallbacks and breaker changes are counted as they happen.
 *
 * - `inferd_shed_total{model,version,reason,priority}`: requests refused or evicted under load; reason is
 *   queue_full, concurrency_limit, adaptive_limit or evicted (queued, then displaced by a higher priority).
 * - `inferd_inflight{model,version}` and `inferd_concurrency_limit{model,version}` (adaptive limit now).
 * - `inferd_fallbacks_total{model,version,reason}`: answers given by a model's fallback, by reason (error, timeout,
 *   shed, features, breaker_open).
 * - `inferd_model_breaker_state{model,version}` (0 closed, 1 half-open, 2 open) and
 *   `inferd_model_breaker_transitions_total{model,version,to}`.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { registerRowFamily } from './row-family.js';

/** What the metrics read from the core. */
export interface ResilienceSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly inFlight?: number;
    readonly concurrencyLimit?: number | undefined;
    readonly shed: ReadonlyArray<{ readonly reason: string; readonly priority: number; readonly count: number }>;
  }>;
  readonly guards: {
    listen(listener: {
      fallback?(model: string, version: string, reason: string): void;
      breakerChanged?(model: string, version: string, state: 'closed' | 'half_open' | 'open'): void;
    }): void;
  };
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

type Row = ReturnType<ResilienceSource['statistics']>[number];

/** Registers the metrics on `registry` and subscribes to the core's fallback and breaker events. */
export function registerResilienceMetrics(registry: Registry, source: ResilienceSource): void {
  const registers = [registry];
  const version = (r: Row) => [r.name, r.version] as const;
  registerRowFamily(registry, {
    name: 'inferd_shed_total',
    help: 'Requests refused or evicted under load, by reason (queue_full, concurrency_limit, adaptive_limit, evicted) and priority level.',
    type: 'counter',
    labelNames: ['model', 'version', 'reason', 'priority'],
    rows: () => source.statistics().flatMap((r) => r.shed.map((s) => ({ r, s }))),
    labels: ({ r, s }) => [r.name, r.version, s.reason, String(s.priority)],
    value: ({ s }) => s.count,
  });
  registerRowFamily(registry, {
    name: 'inferd_inflight',
    help: 'Requests admitted by a model version and not yet answered (queued + computing).',
    type: 'gauge',
    labelNames: ['model', 'version'],
    rows: () => source.statistics(),
    labels: version,
    value: (r) => r.inFlight,
  });
  registerRowFamily(registry, {
    name: 'inferd_concurrency_limit',
    help: 'The adaptive in-flight limit of a model version now (only versions with adaptive_concurrency).',
    type: 'gauge',
    labelNames: ['model', 'version'],
    rows: () => source.statistics(),
    labels: version,
    value: (r) => r.concurrencyLimit,
  });
  // Counted as events happen; the series of a version no longer loaded are dropped at the next scrape.
  const seen = new Map<string, Map<string, () => void>>(); // version → label set → how to remove its series
  const removeGone = (): void => {
    if (!seen.size) return;
    const loaded = new Set(source.statistics().map((r) => `${r.name}\u0000${r.version}`));
    for (const [key, removers] of seen) {
      if (loaded.has(key)) continue;
      for (const remove of removers.values()) remove();
      seen.delete(key);
    }
  };
  const note = (model: string, version: string, series: string, remove: () => void): void => {
    const key = `${model}\u0000${version}`;
    let removers = seen.get(key);
    if (!removers) seen.set(key, (removers = new Map()));
    if (!removers.has(series)) removers.set(series, remove);
  };
  const fallbacks = new Counter({
    name: 'inferd_fallbacks_total',
    help: "Answers given by a model's fallback predictor, by reason (error, timeout, shed, features, breaker_open).",
    labelNames: ['model', 'version', 'reason'],
    registers,
    collect: removeGone,
  });
  const state = new Gauge({
    name: 'inferd_model_breaker_state',
    help: 'Circuit breaker per model version: 0 closed, 1 half-open, 2 open.',
    labelNames: ['model', 'version'],
    registers,
    collect: removeGone,
  });
  const transitions = new Counter({
    name: 'inferd_model_breaker_transitions_total',
    help: 'Circuit breaker state changes per model version.',
    labelNames: ['model', 'version', 'to'],
    registers,
    collect: removeGone,
  });
  source.guards.listen({
    fallback: (model, version, reason) => {
      fallbacks.inc({ model, version, reason });
      note(model, version, `fallback:${reason}`, () => fallbacks.remove({ model, version, reason }));
    },
    breakerChanged: (model, version, to) => {
      state.set({ model, version }, BREAKER_VALUE[to]);
      transitions.inc({ model, version, to });
      note(model, version, `breaker:${to}`, () => {
        state.remove({ model, version });
        transitions.remove({ model, version, to });
      });
    },
  });
}

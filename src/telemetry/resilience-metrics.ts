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

/** What the metrics read from the core. */
export interface ResilienceSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly inFlight?: number;
    readonly concurrencyLimit?: number;
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

/** Registers the metrics on `registry` and subscribes to the core's fallback and breaker events. */
export function registerResilienceMetrics(registry: Registry, source: ResilienceSource): void {
  const registers = [registry];
  new Counter({
    name: 'inferd_shed_total', help: 'Requests refused or evicted under load, by reason (queue_full, concurrency_limit, adaptive_limit, evicted) and priority level.',
    labelNames: ['model', 'version', 'reason', 'priority'], registers,
    collect() {
      this.reset();
      for (const r of source.statistics()) {
        for (const s of r.shed) this.inc({ model: r.name, version: r.version, reason: s.reason, priority: String(s.priority) }, s.count);
      }
    },
  });
  new Gauge({
    name: 'inferd_inflight', help: 'Requests admitted by a model version and not yet answered (queued + computing).', labelNames: ['model', 'version'], registers,
    collect() {
      this.reset();
      for (const r of source.statistics()) if (r.inFlight !== undefined) this.set({ model: r.name, version: r.version }, r.inFlight);
    },
  });
  new Gauge({
    name: 'inferd_concurrency_limit', help: 'The adaptive in-flight limit of a model version now (only versions with adaptive_concurrency).', labelNames: ['model', 'version'], registers,
    collect() {
      this.reset();
      for (const r of source.statistics()) if (r.concurrencyLimit !== undefined) this.set({ model: r.name, version: r.version }, r.concurrencyLimit);
    },
  });
  const fallbacks = new Counter({ name: 'inferd_fallbacks_total', help: 'Answers given by a model\'s fallback predictor, by reason (error, timeout, shed, features, breaker_open).', labelNames: ['model', 'version', 'reason'], registers });
  const state = new Gauge({ name: 'inferd_model_breaker_state', help: 'Circuit breaker per model version: 0 closed, 1 half-open, 2 open.', labelNames: ['model', 'version'], registers });
  const transitions = new Counter({ name: 'inferd_model_breaker_transitions_total', help: 'Circuit breaker state changes per model version.', labelNames: ['model', 'version', 'to'], registers });
  source.guards.listen({
    fallback: (model, version, reason) => fallbacks.inc({ model, version, reason }),
    breakerChanged: (model, version, to) => {
      state.set({ model, version }, BREAKER_VALUE[to]);
      transitions.inc({ model, version, to });
    },
  });
}

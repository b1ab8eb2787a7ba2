/**
 * Per model version: the circuit breaker and the fallback predictor its config declares, built when the version
 * loads (its fallback stage holds them as long as it lives). Listeners hear of fallbacks and breaker changes
 * (metrics).
 */
import type { FallbackConfig, FallbackReason, FallbackTrigger, ModelConfig } from '../config/index.js';
import { FallbackPredictor } from './fallback-predictor.js';
import { CircuitBreaker, type BreakerState } from '../lib/circuit-breaker.js';

export interface ResilienceListener {
  fallback?(model: string, version: string, reason: FallbackReason): void;
  breakerChanged?(model: string, version: string, state: BreakerState): void;
}

/** What protects one model version. */
export interface ModelGuard {
  readonly fallback: FallbackConfig;
  readonly breaker: CircuitBreaker | undefined;
  /** Constant and rule fallbacks; undefined for a `model:` fallback. */
  readonly predictor: FallbackPredictor | undefined;
  /** True when `trigger` sends the request to the fallback. */
  covers(trigger: FallbackTrigger): boolean;
}

export class ModelGuards {
  private readonly listeners: ResilienceListener[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  listen(listener: ResilienceListener): void {
    this.listeners.push(listener);
  }

  /** A new guard for a version with a fallback, or undefined for one without. */
  build(config: ModelConfig, version: string): ModelGuard | undefined {
    const fallback = config.fallback;
    if (!fallback) return undefined;
    const onChange = (state: BreakerState) => {
      for (const l of this.listeners) l.breakerChanged?.(config.name, version, state);
    };
    const when = new Set<FallbackTrigger>(fallback.when);
    return {
      fallback,
      breaker: fallback.breaker && new CircuitBreaker(fallback.breaker, this.now, onChange),
      predictor: fallback.predictor.kind === 'model' ? undefined : new FallbackPredictor(config, fallback),
      covers: (trigger) => when.has(trigger),
    };
  }

  /** Tells listeners a fallback answered. */
  answered(model: string, version: string, reason: FallbackReason): void {
    for (const l of this.listeners) l.fallback?.(model, version, reason);
  }
}

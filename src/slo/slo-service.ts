/**
 * Per-model SLOs in the core: an observer of every request that feeds the in-process SLO record, and the report
 * GET /v1/models/{m}/slo serves. Objectives come from the models' configs (`slo:` in config.yaml).
 */
import type { SloConfig } from '../config/slo-config.js';
import { NotFoundError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { VersionSlot } from '../registry/version-slot.js';
import type { ModelConfig } from '../config/index.js';
import { isGoodOutcome } from './slo-math.js';
import { SloTracker, type SloReport, type SloSums } from './slo-tracker.js';
import type { InferenceObserver, RequestObservation } from '../inference/observer.js';

/** The config a slot serves or served with, if it ever loaded. */
function slotConfig(slot: VersionSlot): ModelConfig | undefined {
  if (slot.state === 'READY' || slot.state === 'UNLOADING') return slot.loaded.config;
  return slot.state === 'UNAVAILABLE' ? slot.config : undefined;
}

export class SloService implements InferenceObserver {
  readonly tracker: SloTracker;

  /** `now`: milliseconds since the epoch, injected by tests. */
  constructor(
    private readonly registry: ModelRegistry,
    now?: () => number,
  ) {
    this.tracker = new SloTracker({ objectiveOf: (model) => this.objectiveOrNone(model), now });
  }

  observe(o: RequestObservation): void {
    // A request refused before the core ran it was never timed (the same rule as inferd_request_duration_seconds).
    this.tracker.record(o.model, isGoodOutcome(o.outcome), o.refusedEarly ? undefined : o.seconds);
  }

  /** The model's SLIs, budget and burn rates. NotFoundError for an unknown model or one without an `slo:`. */
  report(model: string): SloReport {
    const objective = this.objective(model);
    if (!objective) {
      throw new NotFoundError(
        `model '${model}' has no SLO; add one to its config.yaml, e.g. slo: { availability: 0.999, latency: { threshold_ms: 50, percentile: 0.99 } }`,
        'not_configured',
      );
    }
    return this.tracker.report(model, objective, this.peerSums?.(model) ?? []);
  }

  private peerSums: ((model: string) => readonly SloSums[]) | undefined;

  /** Several processes (`--processes N`): the other processes' latest sums per model, added to report(). */
  usePeerSums(source: (model: string) => readonly SloSums[]): void {
    this.peerSums = source;
  }

  /** This process's sums for every model it records that has an objective (what it tells the other processes). */
  ownSums(): Record<string, SloSums> {
    const out: Record<string, SloSums> = {};
    for (const model of this.tracker.models()) {
      const objective = this.objectiveOrNone(model);
      if (objective) out[model] = this.tracker.sums(model, objective);
    }
    return out;
  }

  /** The objective of the newest version with a config, READY ones first (a failing model keeps its SLO). */
  private objective(model: string): SloConfig | undefined {
    // One pass and no arrays: this runs for every request.
    let newestReady: VersionSlot | undefined;
    let newest: VersionSlot | undefined;
    for (const v of this.registry.model(model).versions.values()) {
      if (!slotConfig(v)) continue;
      if (!newest || v.id.version > newest.id.version) newest = v;
      if (v.state === 'READY' && (!newestReady || v.id.version > newestReady.id.version)) newestReady = v;
    }
    const chosen = newestReady ?? newest;
    return chosen && slotConfig(chosen)?.slo;
  }

  private objectiveOrNone(model: string): SloConfig | undefined {
    try {
      return this.objective(model);
    } catch {
      return undefined; // unknown model: nothing to record
    }
  }
}

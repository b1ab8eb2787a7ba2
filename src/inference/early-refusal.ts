/**
 * Requests refused before they reach infer(): pre-body admission against the queue of the version that would
 * answer, and the observation of refusals made by the front ends (authentication, rate limits, decoding).
 */
import type { ModelRegistry } from '../registry/model-registry.js';
import { outcomeOf, type RequestObservation } from './observer.js';
import { failure, UNKNOWN_MODEL, type Observers } from './observers.js';
import type { VersionResolver } from './version-resolver.js';

/** A refusal made by a front end before infer() (see InferenceService.observeRefusal). */
export interface Refusal {
  readonly model: string | undefined;
  readonly protocol: string;
  readonly error: unknown;
  readonly traceparent?: string | undefined;
  /** The version the request named, if any. */
  readonly version?: string | undefined;
  /**
   * Seconds since the request arrived, when its body was read and refused by the checks against the model
   * (declared shapes, batch size): such a request is observed like one infer() refused, with its version and
   * latency, so its counts do not depend on where the check ran.
   */
  readonly seconds?: number | undefined;
}

export class EarlyRefusals {
  constructor(
    private readonly resolver: () => VersionResolver,
    private readonly observers: Observers,
    private readonly registry: ModelRegistry,
  ) {}

  /**
   * Throws the refusal when every version that could answer (the one the traffic policy picks for this routing
   * key, or each version of a split the pick would draw from) cannot take the request now. Unknown models and
   * other problems are left for infer() to report.
   */
  admit(model: string, version?: string, priority?: number, routingKey?: string): void {
    let candidates;
    try {
      const parameters = routingKey === undefined || routingKey === '' ? undefined : { routing_key: routingKey };
      candidates = this.resolver().candidates({ model, version, inputs: [], parameters });
    } catch {
      return;
    }
    let first: { refused: Error; record: () => void; label: string } | undefined;
    for (const v of candidates) {
      const refused = v.scheduler.admissionError(priority);
      // A model whose fallback covers shedding answers from it: let the request reach infer() with its body.
      if (!refused || v.config.fallback?.when.includes('shed')) return;
      first ??= { refused, record: () => v.scheduler.recordRejection(refused), label: v.id.label };
    }
    if (!first) return;
    first.record();
    const observation = {
      model,
      version: first.label,
      protocol: 'http',
      outcome: 'rejected' as const,
      seconds: 0,
      stages: {},
      refusedEarly: true,
      ...failure(first.refused),
    };
    this.observers.observe(observation, first.refused);
    throw first.refused;
  }

  /**
   * Tells the observers of a request refused before it reached infer(). Only a model this server knows keeps its
   * name; any other is counted as `_unknown`, so a caller cannot mint metric series by naming models.
   */
  observeRefusal(refusal: Refusal): void {
    const model = refusal.model !== undefined && this.registry.knows(refusal.model) ? refusal.model : UNKNOWN_MODEL;
    const version =
      refusal.seconds === undefined || model === UNKNOWN_MODEL
        ? undefined
        : this.answeringVersion(model, refusal.version);
    if (version !== undefined) this.observers.started();
    const observation: RequestObservation = {
      model,
      version: version ?? '',
      protocol: refusal.protocol,
      outcome: outcomeOf(refusal.error),
      seconds: version === undefined ? 0 : (refusal.seconds ?? 0),
      stages: {},
      refusedEarly: version === undefined,
      traceparent: refusal.traceparent,
      ...failure(refusal.error),
    };
    this.observers.observe(observation);
  }

  /** The version that answers a request naming `version` (or none) of a known model, if one is ready. */
  private answeringVersion(model: string, version: string | undefined): string | undefined {
    try {
      return this.registry.resolve(model, version).id.label; // the version it reaches, ready or not
    } catch {
      return undefined;
    }
  }
}

/**
 * The request path's view of traffic policy: which version answers a request that names none, and what to observe
 * for the canary analysis. An explicit version in the URL always wins. What is mirrored (a shadow, a rollout's
 * paired check) is not asked here per request: those versions carry a mirror stage (`mirrors`, mirror-stages.ts).
 *
 * Cost when a model has no weights or rollout: two map lookups per request.
 */
import type { RegisteredModel } from '../registry/registered-model.js';
import type { ModelVersion } from '../registry/model-version.js';
import type { Tensor } from '../tensor/index.js';
import { predictedRows, type RowPrediction } from '../prediction/predicted-rows.js';
import { MirrorStages } from './mirror-stages.js';
import { pointOf, routingKeyOf } from './routing-key.js';
import type { MirroredRequest, ShadowMirror } from './shadow-mirror.js';

export type { MirroredRequest } from './shadow-mirror.js';
import { pickVersion, servingSplit } from './traffic-split.js';
import type { PairingPolicy, ShadowPolicy, TrafficPolicy, TrafficTable } from './traffic-policy.js';
import { windowOf } from './canary-window.js';

/** What the director needs from the registry (ModelRegistry satisfies it). */
export interface VersionSource {
  model(name: string): RegisteredModel;
  resolveReady(name: string, version?: string): ModelVersion;
  /** The loaded models' entries (one per version). */
  loadedIndex(): ReadonlyArray<{ readonly name: string }>;
  /** Failed warm-ups since start (the registry counts them; metrics only). */
  warmupFailures?(): ReadonlyArray<{
    readonly model: string;
    readonly version: number;
    readonly source: string;
    readonly count: number;
  }>;
}

/** A request as routing sees it. */
export interface RoutedRequest extends MirroredRequest {
  /** The version the URL names, if any. */
  readonly version?: string | undefined;
}

/** A request observed for a rollout: its outcome, latency and prediction go to its version's canary window. */
export interface Trace {
  /** The request as begin() saw it, the key under which failed() finds the trace. */
  readonly request: object;
  readonly version: ModelVersion;
  readonly startedMs: number;
}

export interface TrafficDirectorOptions {
  readonly versions: VersionSource;
  readonly table: TrafficTable;
  /** Whether a model's answers are recorded into its versions' canary windows (a rollout is running). */
  readonly observed: (model: string) => boolean;
  readonly mirror: ShadowMirror;
  /** Runs and compares the copies a rollout's paired-disagreement check asks for. */
  readonly pairs?: ShadowMirror;
  /** The versions a running rollout pairs (see CanaryController.pairingOf). */
  readonly rolloutPairing?: (model: string) => PairingPolicy | undefined;
  /** The shadow a running rollout asks for, which replaces the policy's (see CanaryController.shadowOf). */
  readonly rolloutShadow?: (model: string) => ShadowPolicy | undefined;
  readonly clock?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
  /** Monotonic milliseconds for request latencies (default performance.now). */
  readonly latencyClock?: (() => number) | undefined;
}

/** READY versions of a model. */
function readyVersions(model: RegisteredModel): ModelVersion[] {
  return [...model.versions.values()].flatMap((v) => (v.state === 'READY' ? [v.loaded] : []));
}

export class TrafficDirector {
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly latencyClock: () => number;
  /** Requests begun and not yet answered, so a failure anywhere later can be recorded against their version. */
  private readonly open = new WeakMap<object, Trace>();
  /** The mirror stages of the versions a shadow or a rollout's paired check mirrors from. */
  readonly mirrors: MirrorStages;

  constructor(private readonly o: TrafficDirectorOptions) {
    this.mirrors = new MirrorStages({
      model: (name) => o.versions.model(name),
      loaded: () => o.versions.loadedIndex().map((e) => e.name),
      table: o.table,
      mirror: o.mirror,
      pairs: o.pairs,
      rolloutPairing: o.rolloutPairing,
      rolloutShadow: o.rolloutShadow,
    });
    this.clock = o.clock ?? Date.now;
    this.random = o.random ?? Math.random;
    this.latencyClock = o.latencyClock ?? (() => performance.now());
  }

  /** The version that answers: the URL's, else the policy's pick, else the highest ready one. */
  choose(request: RoutedRequest): ModelVersion {
    return this.resolve(request, this.random)[0];
  }

  /**
   * Every version choose() may answer this request with: the one it would pick, unless the pick turns on a
   * random draw (a weighted split and no routing key); then each version of the split. Pre-body admission asks
   * this, so it checks the queue of the version that will answer.
   */
  candidates(request: RoutedRequest): ModelVersion[] {
    return this.resolve(request, undefined);
  }

  /**
   * The one resolver. The URL's version; else the policy's pick among the ready versions of its split, by the
   * routing key's point or else by `draw()` (without a draw: every version of the split); else the highest ready
   * version not marked failed; else the registry's highest ready one (or its reason why none is).
   */
  private resolve(request: RoutedRequest, draw: (() => number) | undefined): ModelVersion[] {
    if (request.version !== undefined && request.version !== '')
      return [this.o.versions.resolveReady(request.model, request.version)];
    const policy = this.o.table.policy(request.model);
    if (!policy.weights && policy.failed.size === 0) return [this.o.versions.resolveReady(request.model)];
    const ready = readyVersions(this.o.versions.model(request.model));
    const split = policy.weights
      ? servingSplit(
          policy.weights,
          new Set(ready.filter((v) => !policy.failed.has(v.id.version)).map((v) => v.id.version)),
        )
      : [];
    if (split.length) {
      const key = routingKeyOf(request.parameters, policy.stickyParameter);
      const point = key === undefined ? draw?.() : pointOf(request.model, key);
      const chosen = point === undefined ? split.map((s) => s.version) : [pickVersion(split, point)];
      return ready.filter((v) => chosen.includes(v.id.version));
    }
    return [this.fallback(policy, ready) ?? this.o.versions.resolveReady(request.model)];
  }

  /** Highest ready version not marked failed. */
  private fallback(policy: TrafficPolicy, ready: readonly ModelVersion[]): ModelVersion | undefined {
    return ready.filter((v) => !policy.failed.has(v.id.version)).sort((a, b) => b.id.version - a.id.version)[0];
  }

  /** Called before the request runs. Returns undefined unless a rollout observes the model. */
  begin(version: ModelVersion, request: RoutedRequest): Trace | undefined {
    const routed = request.version === undefined || request.version === '';
    if (!routed || !this.o.observed(request.model)) return undefined;
    const trace = { request, version, startedMs: this.latencyClock() };
    this.open.set(request, trace);
    return trace;
  }

  /** The request was answered by its version: record it. */
  answered(trace: Trace | undefined, outputs: readonly Tensor[]): void {
    if (!trace) return;
    this.open.delete(trace.request);
    this.record(trace, true, predictedRows(outputs));
  }

  /** The request (as given to begin) failed after its version was chosen. */
  failed(request: object): void {
    const trace = this.open.get(request);
    if (!trace) return;
    this.open.delete(request);
    this.record(trace, false, undefined);
  }

  private record(trace: Trace, ok: boolean, prediction: RowPrediction | undefined): void {
    const latencyMs = this.latencyClock() - trace.startedMs;
    windowOf(trace.version)?.record({ at: this.clock(), ok, latencyMs, prediction });
  }
}

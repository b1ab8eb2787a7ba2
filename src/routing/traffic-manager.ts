/**
 * Traffic policy, shadowing and canary analysis for the whole server, composed in one place: what `Inferd`
 * builds, what the request path (TrafficDirector) and the management API use, and what the metrics read.
 */
import type { TrafficConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { LifecycleEvent } from '../registry/registered-model.js';
import type { Logger } from '../telemetry/logger.js';
import { CanaryController, type OperatorAction } from './canary-controller.js';
import { EventLog, type RoutingEvent } from './event-log.js';
import type { Rollout } from './rollout.js';
import { RolloutPersistence } from './rollout-persistence.js';
import type { RolloutStore, StoreHealth } from './rollout-store.js';
import type { CanaryCoordination } from './canary-coordination.js';
import { ShadowMirror, type ShadowTotals } from './shadow-mirror.js';
import { TrafficDirector, type VersionSource } from './traffic-director.js';
import {
  applyUpdate,
  checkUpdateVersions,
  parseTrafficUpdate,
  TrafficTable,
  type ShadowPolicy,
} from './traffic-policy.js';
import { servingSplit, sharesOf } from './traffic-split.js';

export interface TrafficManagerOptions {
  readonly versions: VersionSource;
  readonly logger: Logger;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** Monotonic milliseconds for the latencies the canary analysis compares (default performance.now). */
  readonly latencyClock?: (() => number) | undefined;
  /** Shadow requests running at once, beyond which samples are dropped (default 16). */
  readonly maxShadowsInFlight?: number;
  /** Where rollouts, their events and traffic policies are kept across restarts; absent: memory only. */
  readonly store?: RolloutStore | undefined;
  /** Several replicas: the canary leader, the verdict ledger and the shared evidence (absent: one process). */
  readonly coordination?: CanaryCoordination | undefined;
}

/** One version as the traffic API shows it. */
export interface VersionTraffic {
  readonly version: number;
  readonly state: string;
  /** Percent of requests without a version that it answers now. */
  readonly share: number;
  readonly failed: boolean;
  readonly loadMs?: number | undefined;
  readonly warmupMs?: number | undefined;
  readonly warmupRequests?: number | undefined;
  readonly warmupSource?: string | undefined;
  readonly readyAt?: number | undefined;
  readonly coldRuns?: number | undefined;
  readonly integrity?: string | undefined;
}

export interface TrafficView {
  readonly model: string;
  readonly weights: ReadonlyMap<number, number> | undefined;
  readonly stickyParameter: string;
  readonly shadow: ShadowPolicy | undefined;
  /** What the shadow version answered so far, compared with the callers' answers. */
  readonly shadowTotals: ShadowTotals | undefined;
  readonly rollout: Rollout | undefined;
  readonly versions: readonly VersionTraffic[];
}

export class TrafficManager {
  readonly events: EventLog;
  readonly director: TrafficDirector;
  readonly canary: CanaryController;
  readonly mirror: ShadowMirror;
  /** The copies a rollout's paired-disagreement check runs on the other version, and their comparisons. */
  readonly pairs: ShadowMirror;
  private readonly table: TrafficTable;
  private readonly versions: VersionSource;
  private readonly persistence: RolloutPersistence | undefined;
  private readonly store: RolloutStore | undefined;
  private readonly coordination: CanaryCoordination | undefined;

  constructor(o: TrafficManagerOptions) {
    this.versions = o.versions;
    this.store = o.store;
    this.coordination = o.coordination;
    const configOf = (model: string): TrafficConfig | undefined => this.trafficConfig(model);
    this.table = new TrafficTable(configOf);
    this.events = new EventLog(o.logger, o.clock);
    this.mirror = new ShadowMirror({
      logger: o.logger,
      clock: o.clock,
      random: o.random,
      maxInFlight: o.maxShadowsInFlight,
    });
    this.pairs = new ShadowMirror({
      logger: o.logger,
      clock: o.clock,
      random: o.random,
      maxInFlight: o.maxShadowsInFlight,
    });
    this.canary = new CanaryController({
      versions: o.versions,
      table: this.table,
      mirror: this.mirror,
      pairs: this.pairs,
      events: this.events,
      clock: o.clock,
      coordination: o.coordination,
      logger: o.logger,
    });
    this.director = new TrafficDirector({
      versions: o.versions,
      table: this.table,
      observed: (model) => this.canary.isObserved(model),
      mirror: this.mirror,
      pairs: this.pairs,
      clock: o.clock,
      random: o.random,
      latencyClock: o.latencyClock,
      rolloutShadow: (model) => this.canary.shadowOf(model),
      rolloutPairing: (model) => this.canary.pairingOf(model),
    });
    // Every change to what a model mirrors or observes is an event (traffic changed, a rollout's step or status, a
    // version loaded or unloaded): the versions' canary windows and mirror stages follow it.
    this.events.onRecord((e) => {
      this.canary.refreshWindows(e.model);
      this.director.mirrors.refresh(e.model);
    });
    this.persistence =
      o.store &&
      new RolloutPersistence({
        store: o.store,
        events: this.events,
        canary: this.canary,
        table: this.table,
        logger: o.logger,
        clock: o.clock,
      });
  }

  /** Reads the rollout store: kept events and traffic policies come back (before the models load). */
  async openStore(): Promise<void> {
    await this.persistence?.open();
  }

  /** Kept rollouts carry on at their step (once the models have loaded). */
  resumeRollouts(): void {
    this.persistence?.resume();
  }

  /** How a shared state store is doing (undefined: none, or an embedded one). */
  stateHealth(): StoreHealth | undefined {
    return this.store?.health?.();
  }

  /** Whether this replica leads the canary analysis: with one process, always; with several, the elected one. */
  canaryLeader(): boolean {
    return this.coordination?.leadership.isLeader() ?? true;
  }

  /** Closes the rollout store (after stop()). */
  async closeStore(): Promise<void> {
    await this.persistence?.close();
  }

  start(): void {
    this.canary.start();
  }

  stop(): void {
    this.canary.stop();
  }

  /** Records a registry lifecycle event (version ready, refused, unloaded). */
  onLifecycle(e: LifecycleEvent): void {
    this.events.record({ model: e.model, type: e.type, version: e.version, message: e.message, evidence: e.evidence });
  }

  /** A model's traffic: policy, each version's share, lifecycle timings, the rollout in control. */
  traffic(model: string): TrafficView {
    const m = this.versions.model(model);
    const policy = this.table.policy(model);
    const ready = [...m.versions.values()]
      .filter((v) => v.state === 'READY' && !policy.failed.has(v.id.version))
      .map((v) => v.id.version);
    const split = policy.weights ? servingSplit(policy.weights, new Set(ready)) : [];
    const shares = split.length ? sharesOf(split) : new Map(ready.length ? [[Math.max(...ready), 100]] : []);
    const versions = [...m.versions.values()]
      .sort((a, b) => a.id.version - b.id.version)
      .map((slot) => {
        const v = slot.state === 'READY' || slot.state === 'UNLOADING' ? slot.loaded : undefined;
        const { version } = slot.id;
        return {
          version,
          state: slot.state,
          share: shares.get(version) ?? 0,
          failed: policy.failed.has(version),
          loadMs: v?.loadMs,
          warmupMs: v?.warmup.ms,
          warmupRequests: v?.warmup.requests,
          warmupSource: v?.warmup.source,
          readyAt: v?.readyAt,
          coldRuns: v?.coldRuns(),
          integrity: v?.integrity?.mode,
        };
      });
    const shadow = this.canary.shadowOf(model) ?? policy.shadow;
    const shadowTotals =
      shadow && this.mirror.allTotals().find((t) => t.model === model && t.version === shadow.version);
    return {
      model,
      weights: policy.weights,
      stickyParameter: policy.stickyParameter,
      shadow,
      shadowTotals,
      rollout: this.canary.active(model),
      versions,
    };
  }

  /** Replaces parts of a model's policy from an API body. Weights cannot change while a rollout controls them. */
  setTraffic(model: string, body: unknown): TrafficView {
    this.persistence?.assertWritable();
    const known = new Set(this.versions.model(model).versions.keys());
    const update = parseTrafficUpdate(body);
    checkUpdateVersions(model, update, known);
    const running = this.canary.active(model);
    if (running && update.weights !== undefined) {
      throw new InvalidArgumentError(
        `rollout ${running.id} controls the weights of model '${model}'; pause and promote or abort it first`,
      );
    }
    const policy = applyUpdate(this.table.policy(model), update);
    this.table.set(model, policy);
    const weights = policy.weights ? Object.fromEntries(policy.weights) : null;
    this.events.record({
      model,
      type: 'traffic_changed',
      message: `traffic policy of model '${model}' changed`,
      evidence: { weights, sticky_parameter: policy.stickyParameter, shadow: policy.shadow ?? null, by: 'operator' },
    });
    return this.traffic(model);
  }

  startRollout(model: string, body: unknown): Rollout {
    this.persistence?.assertWritable();
    return this.canary.create(model, body);
  }

  rollouts(model: string): readonly Rollout[] {
    this.versions.model(model);
    return this.canary.list(model);
  }

  rollout(model: string, id: string): Rollout {
    return this.canary.get(model, id);
  }

  act(model: string, id: string, action: OperatorAction): Rollout {
    this.persistence?.assertWritable();
    return this.canary.act(model, id, action);
  }

  /** A model's events after `since`. */
  eventsOf(model: string, since?: number, limit?: number): RoutingEvent[] {
    return this.events.list(model, since, limit);
  }

  /** Per version: share, load and warm-up time, cold answers (metrics; see telemetry/lifecycle-metrics.ts). */
  versionRows(): Array<{
    model: string;
    version: number;
    share: number;
    loadMs?: number | undefined;
    warmupMs?: number | undefined;
    coldRuns?: number | undefined;
  }> {
    return this.modelNames().flatMap((model) => this.traffic(model).versions.map((v) => ({ model, ...v })));
  }

  /** Failed warm-ups by model, version and source (metrics), from the registry when it counts them. */
  warmupFailureRows(): ReturnType<NonNullable<VersionSource['warmupFailures']>> {
    return this.versions.warmupFailures?.() ?? [];
  }

  /** Shadow totals per model and shadow version (metrics). */
  shadowRows(): ReturnType<ShadowMirror['allTotals']> {
    return this.mirror.allTotals();
  }

  /** Every rollout with its status and weight (metrics). */
  rolloutRows(): Array<{ model: string; rollout: string; candidate: number; status: string; weight: number }> {
    return this.modelNames().flatMap((m) =>
      this.canary
        .list(m)
        .map((r) => ({ model: m, rollout: r.id, candidate: r.spec.candidate, status: r.status, weight: r.weight })),
    );
  }

  /** Event counts by model, type and failing check (metrics). */
  eventRows(): ReturnType<EventLog['totals']> {
    return this.events.totals();
  }

  private modelNames(): string[] {
    return [...new Set(this.versions.loadedIndex().map((e) => e.name))];
  }

  private trafficConfig(model: string): TrafficConfig | undefined {
    try {
      return this.versions.model(model).traffic;
    } catch {
      return undefined;
    }
  }
}

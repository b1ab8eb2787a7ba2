/**
 * Keeps rollout state in a RolloutStore and takes it up again at start. Every rollout and traffic event is
 * written as it is recorded, with the rollout it concerns and the model's traffic policy after it, so the store
 * always holds the state the last decision left.
 *
 * A shared store (PostgreSQL, several replicas) also delivers what other replicas commit: their events join the
 * event log, their policies the traffic table, their rollouts the canary controller, without being written back
 * (the store never delivers a replica's own changes, and applying one records nothing). A policy or rollout with a
 * change of this replica's still on its way to the store is left as it is here: that change commits later and wins.
 *
 * Start order (Inferd.create): `open()` before the models load (kept events come back first, so numbering
 * continues after them; kept policies apply), `resume()` once they have loaded (rollouts carry on).
 */
import { UnavailableError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { CanaryController } from './canary-controller.js';
import type { EventLog, EventType, RoutingEvent } from './event-log.js';
import type { RemoteChanges, RolloutStore, SavedRolloutState, StateChange } from './rollout-store.js';
import type { TrafficTable } from './traffic-policy.js';

export interface RolloutPersistenceOptions {
  readonly store: RolloutStore;
  readonly events: EventLog;
  readonly canary: CanaryController;
  readonly table: TrafficTable;
  readonly logger: Logger;
  readonly clock?: (() => number) | undefined;
  /** Events taken back at start (the newest); default 10,000, the event log's capacity. */
  readonly maxEvents?: number;
}

/** Lifecycle events (version ready, refused, unloaded) describe this process's loading and are not kept. */
const KEPT: ReadonlySet<EventType> = new Set<EventType>([
  'traffic_changed',
  'rollout_started',
  'rollout_advanced',
  'rollout_held',
  'rollout_promoted',
  'rollout_rolled_back',
  'rollout_paused',
  'rollout_resumed',
  'rollout_aborted',
  'rollout_restored',
]);

export class RolloutPersistence {
  private saved: SavedRolloutState | undefined;
  private readonly clock: () => number;
  /** Models and rollouts with changes of this replica not yet committed, and how many. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly o: RolloutPersistenceOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Reads the store, puts back its events and traffic policies, and starts keeping new events. */
  async open(): Promise<void> {
    const saved = await this.o.store.load(this.o.maxEvents ?? 10_000);
    this.o.events.restore(saved.events);
    for (const p of saved.policies) this.o.table.set(p.model, p.policy);
    this.o.events.onRecord((e) => this.keep(e));
    this.saved = saved;
    const active = saved.rollouts.filter((r) => r.status === 'progressing' || r.status === 'paused').length;
    this.o.logger.info(
      { rollout_store: this.o.store.location, rollouts: saved.rollouts.length, active, events: saved.events.length },
      'rollout state read',
    );
  }

  /**
   * Takes up the kept rollouts (call once the models have loaded), then follows other replicas' changes. A
   * process of its own restores them (their interval restarts, a `rollout_restored` event says so). A replica
   * joining others on a shared store adopts them as they stand, recording and writing nothing: the rollout goes
   * on where the others have it, and a replica starting (a scale-up, a rolling restart) does not restart everyone's
   * interval nor add an event per replica.
   */
  resume(): void {
    const saved = this.saved?.rollouts ?? [];
    this.saved = undefined;
    if (!this.o.store.follow) {
      this.o.canary.restore(saved);
      return;
    }
    for (const r of saved) this.o.canary.applyRemote(r);
    this.o.store.follow((changes) => this.applyRemote(changes));
  }

  /** Throws a 503 when the store cannot take another change (see RolloutStore.refusal). */
  assertWritable(): void {
    const refused = this.o.store.refusal?.();
    if (refused) throw new UnavailableError(refused, 5, 'state_store_unavailable');
  }

  close(): Promise<void> {
    return this.o.store.close();
  }

  /** Changes other replicas committed: applied here as they are, recorded nowhere else. */
  applyRemote(c: RemoteChanges): void {
    for (const e of c.events) this.o.events.append(e);
    for (const p of c.policies) if (!this.pending.has(`m:${p.model}`)) this.o.table.set(p.model, p.policy);
    for (const r of c.rollouts) if (!this.pending.has(`r:${r.id}`)) this.o.canary.applyRemote(r);
  }

  private keep(e: RoutingEvent): void {
    if (!KEPT.has(e.type)) return;
    const now = this.clock();
    const rollout = e.rollout === undefined ? undefined : this.o.canary.list(e.model).find((r) => r.id === e.rollout);
    const change: StateChange = {
      event: e,
      model: e.model,
      policy: this.o.table.policy(e.model),
      rollout: rollout && structuredClone(rollout),
      updatedAt: now,
    };
    const keys = [`m:${e.model}`, ...(rollout ? [`r:${rollout.id}`] : [])];
    for (const k of keys) this.pending.set(k, (this.pending.get(k) ?? 0) + 1);
    const store = this.o.store;
    const written = store.saveChange
      ? store.saveChange(change)
      : Promise.all([
          store.saveEvent(e),
          store.savePolicy(e.model, change.policy, now),
          ...(rollout ? [store.saveRollout(rollout, now)] : []),
        ]);
    written
      .catch((err: unknown) => {
        this.o.logger.error(
          { err, model: e.model, rollout: e.rollout, event: e.type, rollout_store: store.location },
          'rollout state not saved: it will not survive a restart',
        );
      })
      .finally(() => {
        for (const k of keys) {
          const n = (this.pending.get(k) ?? 1) - 1;
          if (n > 0) this.pending.set(k, n);
          else this.pending.delete(k);
        }
      });
  }
}

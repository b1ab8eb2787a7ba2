/**
 * Keeps rollout state in a RolloutStore and takes it up again at start. Every rollout and traffic event is
 * written as it is recorded, with the rollout it concerns and the model's traffic policy after it, so the store
 * always holds the state the last decision left.
 *
 * Start order (Inferd.create): `open()` before the models load (kept events come back first, so numbering
 * continues after them; kept policies apply), `resume()` once they have loaded (rollouts carry on).
 */
import type { Logger } from '../telemetry/logger.js';
import type { CanaryController } from './canary-controller.js';
import type { EventLog, EventType, RoutingEvent } from './event-log.js';
import type { RolloutStore, SavedRolloutState } from './rollout-store.js';
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

  /** Takes up the kept rollouts (call once the models have loaded). */
  resume(): void {
    if (this.saved) this.o.canary.restore(this.saved.rollouts);
    this.saved = undefined;
  }

  close(): Promise<void> {
    return this.o.store.close();
  }

  private keep(e: RoutingEvent): void {
    if (!KEPT.has(e.type)) return;
    const now = this.clock();
    const rollout = e.rollout === undefined ? undefined : this.o.canary.list(e.model).find((r) => r.id === e.rollout);
    const writes = [this.o.store.saveEvent(e), this.o.store.savePolicy(e.model, this.o.table.policy(e.model), now)];
    if (rollout) writes.push(this.o.store.saveRollout(rollout, now));
    Promise.all(writes).catch((err: unknown) => {
      this.o.logger.error(
        { err, model: e.model, rollout: e.rollout, event: e.type, rollout_store: this.o.store.location },
        'rollout state not saved: it will not survive a restart',
      );
    });
  }
}

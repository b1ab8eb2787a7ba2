/**
 * Automated canary analysis inside the server, as Flagger and Argo Rollouts do it: a rollout moves a candidate
 * version through weight steps; at every tick the checks compare it with the stable version over the current
 * interval (verdict.ts decides), and the controller applies the decision to the model's traffic policy. Every
 * decision is an event with its evidence. Operators may pause, resume, promote or abort.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, ModelNotReadyError, NotFoundError } from '../errors/index.js';
import type { EventLog, EventType } from './event-log.js';
import { isActive, type DecisionRecord, type Rollout } from './rollout.js';
import { parseRolloutSpec } from './rollout-spec.js';
import type { ShadowMirror } from './shadow-mirror.js';
import type { VersionSource } from './traffic-director.js';
import { servingSplit, sharesOf } from './traffic-split.js';
import type { PairingPolicy, ShadowPolicy, TrafficTable } from './traffic-policy.js';
import { decide, evaluateChecks, type Decision } from './verdict.js';
import type { ModelVersion } from '../registry/model-version.js';
import type { RegisteredModel } from '../registry/registered-model.js';
import { CanaryWindows, summariseWindow, windowOf } from './canary-window.js';
import type { VersionWindow } from './version-window.js';
import type { CanaryCoordination, LocalEvidence, RecordedProgress } from './canary-coordination.js';
import type { Evidence } from './verdict.js';
import type { Logger } from '../telemetry/logger.js';

export type OperatorAction = 'pause' | 'resume' | 'promote' | 'abort';

export interface CanaryControllerOptions {
  readonly versions: VersionSource;
  readonly table: TrafficTable;
  readonly mirror: ShadowMirror;
  /** Where the paired-disagreement check's mirrored requests run and are compared (absent: the check has no pairs). */
  readonly pairs?: ShadowMirror;
  readonly events: EventLog;
  readonly clock?: (() => number) | undefined;
  /**
   * Several replicas (absent: one process, which judges its own windows). Only the leader reviews; it judges the
   * evidence summed over replicas, and a decision takes effect only once the verdict ledger has recorded it.
   */
  readonly coordination?: CanaryCoordination | undefined;
  /** Where a verdict that could not be recorded is reported (with a coordination). */
  readonly logger?: Logger | undefined;
}

const EVENT_OF: Record<Exclude<Decision['action'], 'wait'>, EventType> = {
  hold: 'rollout_held',
  advance: 'rollout_advanced',
  promote: 'rollout_promoted',
  rollback: 'rollout_rolled_back',
};

export class CanaryController {
  private readonly rollouts = new Map<string, Rollout[]>();
  /** Models whose versions record evidence into their canary windows (those with a rollout running). */
  private readonly observed = new Set<string>();
  private readonly clock: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  /** With a coordination: rollouts whose verdict is being recorded (no second review meanwhile). */
  private readonly pending = new Set<string>();
  /** With a coordination: when this replica saw each rollout's current step begin (its own clock). */
  private readonly seen = new Map<string, { readonly step: string; readonly since: number }>();
  private stopLeading: (() => void) | undefined;
  /** The canary windows of the observed models' versions (attached while their rollout is active). */
  private readonly windows: CanaryWindows;

  constructor(private readonly o: CanaryControllerOptions) {
    this.clock = o.clock ?? Date.now;
    this.windows = new CanaryWindows((model) => this.registered(model));
  }

  /**
   * Gives a model's READY versions their canary windows while a rollout observes it, or none: the traffic manager
   * calls it for every event of the model (a version loaded during a rollout gets its window then).
   */
  refreshWindows(model: string): void {
    this.windows.refresh(model, this.observed.has(model));
  }

  /** Starts ticking (a timer runs only while a rollout progresses), and with a coordination, sharing evidence. */
  start(): void {
    this.running = true;
    const c = this.o.coordination;
    if (c && !this.stopLeading) {
      c.evidence.start(() => this.localEvidence());
      this.stopLeading = c.leadership.onChange((leader) => {
        if (leader) void this.takeOver();
      });
      if (c.leadership.isLeader()) void this.takeOver();
    }
    this.arm();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.o.coordination?.evidence.stop();
    this.stopLeading?.();
    this.stopLeading = undefined;
  }

  /**
   * A version a rollout names, which must be serving: one that is loading, unloaded or failed is the caller's to
   * fix (load it, or name another), so it is refused as a bad request rather than answered as a server outage.
   */
  private servingVersion(model: string, version: number, role: 'candidate' | 'stable'): number {
    try {
      return this.o.versions.resolveReady(model, `${version}`).id.version;
    } catch (err) {
      if (!(err instanceof ModelNotReadyError)) throw err;
      throw new InvalidArgumentError(
        `cannot start a rollout with ${role} version ${version}: ${err.message}; load it first (POST /v2/repository/models/${model}/load) or name a version that is serving`,
      );
    }
  }

  /** Starts a rollout from an API body (see rollout-spec.ts). Throws when the model already has one running. */
  create(model: string, body: unknown): Rollout {
    const spec = parseRolloutSpec(body);
    const running = this.active(model);
    if (running)
      throw new InvalidArgumentError(
        `model '${model}' already has rollout ${running.id} ${running.status}; promote or abort it first`,
      );
    const candidate = this.servingVersion(model, spec.candidate, 'candidate');
    const stable = spec.stable ?? this.primaryVersion(model, candidate);
    this.servingVersion(model, stable, 'stable');
    const now = this.clock();
    const rollout: Rollout = {
      id: randomUUID(),
      model,
      spec,
      stable,
      status: 'progressing',
      stepIndex: 0,
      weight: spec.steps[0],
      startedAt: now,
      stepStartedAt: now,
      reviewAt: now + spec.intervalMs,
    };
    this.rollouts.set(model, [...(this.rollouts.get(model) ?? []), rollout]);
    this.began(rollout);
    this.observe(model);
    this.setWeights(rollout, rollout.weight);
    const evidence = {
      candidate,
      stable,
      steps: spec.steps,
      interval_ms: spec.intervalMs,
      checks: spec.checks,
      shadow: spec.shadow,
    };
    this.note(
      rollout,
      'rollout_started',
      {
        action: 'start',
        at: now,
        reason: `rollout of version ${candidate} started at ${rollout.weight}% against version ${stable}`,
        failed: [],
        checks: [],
        by: 'operator',
      },
      evidence,
    );
    this.arm();
    return rollout;
  }

  /** A model's rollouts, oldest first. */
  list(model: string): readonly Rollout[] {
    return this.rollouts.get(model) ?? [];
  }

  get(model: string, id: string): Rollout {
    const r = this.list(model).find((x) => x.id === id);
    if (!r)
      throw new NotFoundError(
        `model '${model}' has no rollout '${id.slice(0, 64)}'; GET /v1/models/${model}/rollouts lists them`,
      );
    return r;
  }

  /** The rollout controlling a model's traffic now (progressing or paused). */
  active(model: string): Rollout | undefined {
    return this.list(model).find(isActive);
  }

  /** The shadow a progressing or paused rollout asks for: the candidate, at its sample rate. */
  shadowOf(model: string): ShadowPolicy | undefined {
    const r = this.active(model);
    return r?.spec.shadow && { version: r.spec.candidate, sampleRate: r.spec.shadow.sampleRate };
  }

  /**
   * The versions a progressing rollout pairs, when its checks include paired disagreement: requests either one
   * answers are mirrored to the other at the sample rate.
   */
  pairingOf(model: string): PairingPolicy | undefined {
    const r = this.active(model);
    const t = r?.status === 'progressing' ? r.spec.checks.pairedDisagreement : undefined;
    return t && { stable: r!.stable, candidate: r!.spec.candidate, sampleRate: t.sampleRate };
  }

  /** An operator's pause, resume, promote or abort. */
  act(model: string, id: string, action: OperatorAction): Rollout {
    const r = this.actLocally(model, id, action);
    const ledger = this.o.coordination?.ledger;
    ledger?.operator(r).catch((err: unknown) => {
      this.o.logger?.error(
        { err, model, rollout: id, action },
        'operator action not recorded in the verdict ledger: a verdict judged before it may still be recorded',
      );
    });
    return r;
  }

  private actLocally(model: string, id: string, action: OperatorAction): Rollout {
    const r = this.get(model, id);
    const allowed =
      action === 'resume' ? r.status === 'paused' : action === 'pause' ? r.status === 'progressing' : isActive(r);
    if (!allowed)
      throw new InvalidArgumentError(
        `rollout ${id} is ${r.status}: it cannot be ${action === 'abort' ? 'aborted' : `${action}d`}`,
      );
    const now = this.clock();
    if (action === 'pause')
      return this.transition(r, 'paused', 'rollout_paused', {
        action,
        at: now,
        reason: 'paused by an operator',
        failed: [],
        checks: [],
        by: 'operator',
      });
    if (action === 'resume') {
      r.stepStartedAt = now;
      r.reviewAt = now + r.spec.intervalMs;
      this.began(r);
      this.transition(r, 'progressing', 'rollout_resumed', {
        action,
        at: now,
        reason: `resumed by an operator at ${r.weight}%; the interval restarts`,
        failed: [],
        checks: [],
        by: 'operator',
      });
      this.arm();
      return r;
    }
    if (action === 'promote')
      return this.finish(r, 'succeeded', 100, {
        action: 'promote',
        at: now,
        reason: 'promoted by an operator',
        failed: [],
        checks: [],
        by: 'operator',
      });
    return this.finish(r, 'aborted', 0, {
      action: 'abort',
      at: now,
      reason: `aborted by an operator; all traffic back to version ${r.stable}`,
      failed: [],
      checks: [],
      by: 'operator',
    });
  }

  /**
   * Takes up rollouts kept from before a restart (oldest first). Finished ones are listed as they were. An active
   * one keeps its step and weight, and its analysis interval restarts now: the samples of the interrupted interval
   * were in memory. A paused one stays paused. Each active one restored is recorded as a `rollout_restored` event.
   */
  restore(saved: readonly Rollout[]): void {
    const now = this.clock();
    for (const r of saved) {
      if (this.list(r.model).some((x) => x.id === r.id)) continue;
      const active = isActive(r) && !this.active(r.model);
      this.rollouts.set(r.model, [...this.list(r.model), r]);
      if (!active) continue;
      r.stepStartedAt = now;
      r.reviewAt = now + r.spec.intervalMs;
      this.began(r);
      this.observe(r.model);
      this.setWeights(r, r.weight);
      const how = r.status === 'paused' ? 'it stays paused' : 'the analysis interval restarts';
      this.o.events.record({
        model: r.model,
        type: 'rollout_restored',
        version: r.spec.candidate,
        rollout: r.id,
        message: `rollout ${r.id} of model '${r.model}': restored after a restart at step ${r.stepIndex + 1} of ${r.spec.steps.length} (${r.weight}%); ${how}`,
        evidence: {
          status: r.status,
          step: r.stepIndex,
          weights: { [r.stable]: 100 - r.weight, [r.spec.candidate]: r.weight },
        },
      });
    }
    this.arm();
  }

  /**
   * Runs the analysis of every progressing rollout once. Called by the timer; tests call it directly. With a
   * coordination, only the leader analyses, and it returns once the verdicts it reached are recorded and applied.
   */
  tick(): Promise<void> {
    if (this.o.coordination) return this.coordinatedTick(this.o.coordination);
    for (const list of this.rollouts.values()) for (const r of list) if (r.status === 'progressing') this.review(r);
    return Promise.resolve();
  }

  private review(r: Rollout): void {
    const now = this.clock();
    const evidence = this.evidenceSince(r, r.stepStartedAt);
    const progress = { status: r.status, steps: r.spec.steps, stepIndex: r.stepIndex, reviewAt: r.reviewAt };
    const d = decide(progress, evaluateChecks(r.spec.checks, evidence), now);
    if (d.action !== 'wait') this.apply(r, d, now);
  }

  /** What this replica's windows and mirrors hold of a rollout's two versions from `since` on. */
  private evidenceSince(r: Rollout, since: number): Evidence {
    return {
      stable: summariseWindow(this.loaded(r.model, r.stable), since),
      candidate: summariseWindow(this.loaded(r.model, r.spec.candidate), since),
      shadow: r.spec.shadow ? this.o.mirror.summary(r.model, r.spec.candidate, since) : undefined,
      paired: r.spec.checks.pairedDisagreement
        ? this.o.pairs?.pairs(r.model, [r.stable, r.spec.candidate], since)
        : undefined,
    };
  }

  /**
   * What this replica saw of every progressing rollout's current step, for the shared evidence: counted from when
   * this replica saw the step begin (a step begun elsewhere is seen when its change arrives).
   */
  localEvidence(): LocalEvidence[] {
    const out: LocalEvidence[] = [];
    for (const list of this.rollouts.values())
      for (const r of list) {
        if (r.status !== 'progressing') continue;
        out.push({
          rollout: r.id,
          model: r.model,
          stepIndex: r.stepIndex,
          evidence: this.evidenceSince(r, this.seeStep(r)),
        });
      }
    return out;
  }

  /** When this replica saw a rollout's current step begin: now, the first time it is asked about a new step. */
  private seeStep(r: Rollout): number {
    const step = `${r.stepIndex}@${r.stepStartedAt}`;
    let seen = this.seen.get(r.id);
    if (seen?.step !== step) this.seen.set(r.id, (seen = { step, since: this.clock() }));
    return seen.since;
  }

  /** Notes that this replica began a rollout's current step at its `stepStartedAt` (its own clock). */
  private began(r: Rollout): void {
    if (this.o.coordination) this.seen.set(r.id, { step: `${r.stepIndex}@${r.stepStartedAt}`, since: r.stepStartedAt });
  }

  private async coordinatedTick(c: CanaryCoordination): Promise<void> {
    if (!c.leadership.isLeader()) return;
    const verdicts: Promise<void>[] = [];
    for (const list of this.rollouts.values())
      for (const r of list) {
        if (r.status !== 'progressing' || this.pending.has(r.id)) continue;
        const evidence = c.evidence.summed(r.id, r.stepIndex);
        if (!evidence) continue; // nothing read for this step yet: the next exchange brings it
        const now = this.clock();
        const progress = { status: r.status, steps: r.spec.steps, stepIndex: r.stepIndex, reviewAt: r.reviewAt };
        const d = decide(progress, evaluateChecks(r.spec.checks, evidence), now);
        if (d.action === 'wait') continue;
        this.pending.add(r.id);
        verdicts.push(this.record(c, r, d, now).finally(() => this.pending.delete(r.id)));
      }
    await Promise.all(verdicts);
  }

  /**
   * Records a verdict in the ledger, then applies it. The ledger refuses it when the rollout moved on meanwhile
   * (another leader decided, an operator acted) or this replica no longer leads: then the recorded progress is
   * taken up instead, and the verdict is dropped.
   */
  private async record(
    c: CanaryCoordination,
    r: Rollout,
    d: Exclude<Decision, { action: 'wait' }>,
    now: number,
  ): Promise<void> {
    try {
      const from = await c.ledger.progress(r);
      if (from.seq > 0 && (from.stepIndex !== r.stepIndex || from.status !== r.status)) {
        this.adopt(r, from);
        return;
      }
      const next = projected(r, from, d, now);
      if (!(await c.ledger.commit(from, next))) {
        this.o.logger?.warn(
          { model: r.model, rollout: r.id, action: d.action, step: r.stepIndex, replica: c.replica },
          'canary verdict not recorded: the rollout moved on or this replica no longer leads; taking up what is recorded',
        );
        if (c.leadership.isLeader()) this.adopt(r, await c.ledger.progress(r));
        return;
      }
      if (r.status !== 'progressing' || r.stepIndex !== from.stepIndex) {
        this.o.logger?.warn(
          { model: r.model, rollout: r.id, action: d.action, status: r.status },
          'canary verdict recorded after the rollout changed here; the change made here stands',
        );
        return;
      }
      this.apply(r, d, now);
    } catch (err) {
      this.o.logger?.error(
        { err, model: r.model, rollout: r.id, action: d.action, replica: c.replica },
        'canary verdict not recorded: the verdict ledger failed; the next review tries again',
      );
    }
  }

  /** On becoming the leader: takes up what the ledger recorded for every active rollout, then reviews. */
  private async takeOver(): Promise<void> {
    const c = this.o.coordination;
    if (!c) return;
    for (const list of [...this.rollouts.values()])
      for (const r of list) {
        if (!isActive(r)) continue;
        try {
          const from = await c.ledger.progress(r);
          if (from.seq > 0) this.adopt(r, from);
        } catch (err) {
          this.o.logger?.error(
            { err, model: r.model, rollout: r.id },
            'rollout progress not read from the verdict ledger on taking the canary lead; the next review retries',
          );
        }
      }
    this.arm();
  }

  /**
   * Takes up a rollout's recorded progress when it differs from what this replica holds (a verdict recorded by
   * another leader whose change has not arrived here): one `rollout_restored` event says so; the verdict's own
   * event was the recording leader's.
   */
  private adopt(r: Rollout, p: RecordedProgress): void {
    const same =
      r.status === p.status &&
      r.stepIndex === p.stepIndex &&
      r.weight === p.weight &&
      r.stepStartedAt === p.stepStartedAt &&
      r.reviewAt === p.reviewAt;
    if (same) return;
    const wasActive = isActive(r);
    r.status = p.status;
    r.stepIndex = p.stepIndex;
    r.stepStartedAt = p.stepStartedAt;
    r.reviewAt = p.reviewAt;
    if (p.finishedAt !== undefined) r.finishedAt = p.finishedAt;
    if (p.decision) r.lastDecision = p.decision;
    this.setWeights(r, p.weight, p.status === 'failed');
    if (isActive(r)) this.seeStep(r);
    if (wasActive && !isActive(r)) this.forget(r.model);
    this.o.events.record({
      model: r.model,
      type: 'rollout_restored',
      version: r.spec.candidate,
      rollout: r.id,
      message: `rollout ${r.id} of model '${r.model}': taken up from the verdict ledger at step ${r.stepIndex + 1} of ${r.spec.steps.length} (${r.weight}%, ${r.status}) after decision ${p.seq}`,
      evidence: {
        status: r.status,
        step: r.stepIndex,
        seq: p.seq,
        replica: this.o.coordination?.replica,
        weights: { [r.stable]: 100 - r.weight, [r.spec.candidate]: r.weight },
      },
    });
    this.arm();
  }

  private apply(r: Rollout, d: Exclude<Decision, { action: 'wait' }>, now: number): void {
    const record: DecisionRecord = {
      action: d.action,
      at: now,
      reason: d.reason,
      failed: d.failed,
      checks: d.checks,
      by: 'analysis',
    };
    if (d.action === 'rollback') {
      this.finish(r, 'failed', 0, record);
      return;
    }
    if (d.action === 'promote') {
      this.finish(r, 'succeeded', 100, record);
      return;
    }
    r.reviewAt = now + r.spec.intervalMs;
    if (d.action === 'advance') {
      r.stepIndex++;
      r.stepStartedAt = now;
      this.began(r);
      for (const w of this.windowsOf(r.model)) w.prune(now);
      this.setWeights(r, d.weight);
    }
    this.note(r, EVENT_OF[d.action], record);
  }

  private finish(
    r: Rollout,
    status: 'succeeded' | 'failed' | 'aborted',
    weight: number,
    record: DecisionRecord,
  ): Rollout {
    r.status = status;
    r.finishedAt = record.at;
    this.setWeights(r, weight, status === 'failed');
    this.forget(r.model);
    const type: EventType =
      status === 'succeeded' ? 'rollout_promoted' : status === 'failed' ? 'rollout_rolled_back' : 'rollout_aborted';
    this.note(r, type, record);
    return r;
  }

  private transition(r: Rollout, status: 'paused' | 'progressing', type: EventType, record: DecisionRecord): Rollout {
    r.status = status;
    this.note(r, type, record);
    return r;
  }

  /** Candidate at `weight`%, stable at the rest; a rolled-back candidate is marked failed. */
  private setWeights(r: Rollout, weight: number, failed = false): void {
    r.weight = weight;
    const policy = this.o.table.policy(r.model);
    const weights = new Map([
      [r.stable, 100 - weight],
      [r.spec.candidate, weight],
    ]);
    const failedSet = new Set([...policy.failed].filter((v) => v !== r.spec.candidate));
    if (failed) failedSet.add(r.spec.candidate);
    this.o.table.set(r.model, { ...policy, weights, failed: failedSet });
  }

  private note(r: Rollout, type: EventType, record: DecisionRecord, extra?: Record<string, unknown>): void {
    r.lastDecision = record;
    const evidence = {
      ...extra,
      by: record.by,
      status: r.status,
      step: r.stepIndex,
      weights: { [r.stable]: 100 - r.weight, [r.spec.candidate]: r.weight },
      checks: record.checks,
    };
    this.o.events.record({
      model: r.model,
      type,
      version: r.spec.candidate,
      rollout: r.id,
      message: `rollout ${r.id} of model '${r.model}': ${record.reason}`,
      evidence,
      checks: record.failed,
    });
  }

  /** Whether answers of a model's versions are recorded into their canary windows (a rollout is running). */
  isObserved(model: string): boolean {
    return this.observed.has(model);
  }

  /** Starts recording a model's evidence afresh: its READY versions get new, empty windows. */
  private observe(model: string): void {
    this.forget(model);
    this.observed.add(model);
    this.refreshWindows(model);
  }

  /** Stops recording: the model's versions lose their windows, and what they held. */
  private forget(model: string): void {
    this.observed.delete(model);
    this.windows.detach(model);
  }

  /** The canary windows of a model's loaded versions. */
  private windowsOf(model: string): VersionWindow[] {
    const versions = this.registered(model)?.versions.values() ?? [];
    return [...versions].flatMap((slot) => {
      const w = slot.state === 'READY' || slot.state === 'UNLOADING' ? windowOf(slot.loaded) : undefined;
      return w ? [w] : [];
    });
  }

  /** A model's version as loaded now (READY or draining), if it is. */
  private loaded(model: string, version: number): ModelVersion | undefined {
    const slot = this.registered(model)?.versions.get(version);
    return slot && (slot.state === 'READY' || slot.state === 'UNLOADING') ? slot.loaded : undefined;
  }

  private registered(model: string): RegisteredModel | undefined {
    try {
      return this.o.versions.model(model);
    } catch {
      return undefined; // the model is not in the repository (yet, or any more): it holds no windows
    }
  }

  /** The version with the largest share now, other than the candidate: what the candidate replaces. */
  private primaryVersion(model: string, candidate: number): number {
    const ready = [...this.o.versions.model(model).versions.values()]
      .filter((v) => v.state === 'READY' && v.id.version !== candidate)
      .map((v) => v.id.version);
    if (!ready.length)
      throw new InvalidArgumentError(
        `model '${model}' has no ready version besides the candidate ${candidate} to compare it with; load one (version_policy must keep both)`,
      );
    const weights = this.o.table.policy(model).weights;
    const split = weights ? servingSplit(weights, new Set(ready)) : [];
    if (!split.length) return Math.max(...ready);
    return [...sharesOf(split).entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
  }

  /** Schedules the next tick at a tenth of the shortest progressing interval (10 ms to 1 s). */
  private arm(): void {
    if (!this.running || this.timer) return;
    const intervals = [...this.rollouts.values()]
      .flat()
      .filter((r) => r.status === 'progressing')
      .map((r) => r.spec.intervalMs);
    if (!intervals.length) return;
    const delay = Math.min(1000, Math.max(10, Math.min(...intervals) / 10));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.arm();
    }, delay);
    this.timer.unref();
  }

  /**
   * A rollout as another replica last wrote it (delivered by a shared store): the local one of the same id takes its
   * status, step, weight, times and last decision, or it is added. Records no event and sets no traffic policy (the
   * policy the same change wrote arrives with it). The model's canary windows start recording when the rollout
   * becomes active here and stop when it ends.
   */
  applyRemote(r: Rollout): void {
    const mine = this.list(r.model).find((x) => x.id === r.id);
    const wasActive = mine !== undefined && isActive(mine);
    if (mine) {
      mine.status = r.status;
      mine.stepIndex = r.stepIndex;
      mine.weight = r.weight;
      mine.stepStartedAt = r.stepStartedAt;
      mine.reviewAt = r.reviewAt;
      if (r.finishedAt === undefined) delete mine.finishedAt;
      else mine.finishedAt = r.finishedAt;
      if (r.lastDecision === undefined) delete mine.lastDecision;
      else mine.lastDecision = r.lastDecision;
    } else this.rollouts.set(r.model, [...this.list(r.model), r]);
    if (this.o.coordination && isActive(r)) this.seeStep(mine ?? r);
    if (isActive(r) && !wasActive) this.observe(r.model);
    if (!isActive(r) && wasActive) this.forget(r.model);
    this.arm();
  }
}

/** The progress a verdict leads to, as the ledger records it (apply() makes the same change here). */
function projected(
  r: Rollout,
  from: RecordedProgress,
  d: Exclude<Decision, { action: 'wait' }>,
  now: number,
): RecordedProgress {
  const decision: DecisionRecord = {
    action: d.action,
    at: now,
    reason: d.reason,
    failed: d.failed,
    checks: d.checks,
    by: 'analysis',
  };
  const base = { ...from, seq: from.seq + 1, decision };
  if (d.action === 'rollback') return { ...base, status: 'failed', weight: 0, finishedAt: now };
  if (d.action === 'promote') return { ...base, status: 'succeeded', weight: 100, finishedAt: now };
  const reviewAt = now + r.spec.intervalMs;
  if (d.action === 'hold') return { ...base, reviewAt };
  return { ...base, stepIndex: from.stepIndex + 1, weight: d.weight, stepStartedAt: now, reviewAt };
}

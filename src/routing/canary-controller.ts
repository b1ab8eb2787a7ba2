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
import { summariseWindow, windowOf } from './canary-window.js';
import type { VersionWindow } from './version-window.js';

export type OperatorAction = 'pause' | 'resume' | 'promote' | 'abort';

export interface CanaryControllerOptions {
  readonly versions: VersionSource;
  readonly table: TrafficTable;
  readonly mirror: ShadowMirror;
  /** Where the paired-disagreement check's mirrored requests run and are compared (absent: the check has no pairs). */
  readonly pairs?: ShadowMirror;
  readonly events: EventLog;
  readonly clock?: (() => number) | undefined;
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

  constructor(private readonly o: CanaryControllerOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Starts ticking (a timer runs only while a rollout progresses). */
  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
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

  /** Runs the analysis of every progressing rollout once. Called by the timer; tests call it directly. */
  tick(): void {
    for (const list of this.rollouts.values()) for (const r of list) if (r.status === 'progressing') this.review(r);
  }

  private review(r: Rollout): void {
    const now = this.clock();
    const evidence = {
      stable: summariseWindow(this.loaded(r.model, r.stable), r.stepStartedAt),
      candidate: summariseWindow(this.loaded(r.model, r.spec.candidate), r.stepStartedAt),
      shadow: r.spec.shadow ? this.o.mirror.summary(r.model, r.spec.candidate, r.stepStartedAt) : undefined,
      paired: r.spec.checks.pairedDisagreement
        ? this.o.pairs?.pairs(r.model, [r.stable, r.spec.candidate], r.stepStartedAt)
        : undefined,
    };
    const progress = { status: r.status, steps: r.spec.steps, stepIndex: r.stepIndex, reviewAt: r.reviewAt };
    const d = decide(progress, evaluateChecks(r.spec.checks, evidence), now);
    if (d.action !== 'wait') this.apply(r, d, now);
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

  /** Starts recording a model's evidence afresh: its loaded versions' windows are emptied. */
  private observe(model: string): void {
    this.forget(model);
    this.observed.add(model);
  }

  /** Stops recording, dropping what the model's loaded versions hold. */
  private forget(model: string): void {
    this.observed.delete(model);
    for (const w of this.windowsOf(model)) w.clear();
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
}

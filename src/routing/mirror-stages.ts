/**
 * Shadow traffic and a rollout's paired check as stages of the versions whose requests are mirrored. A version
 * gets a mirror stage only while the model's traffic policy (or its running rollout) declares a shadow other than
 * itself, or a progressing rollout pairs it with another version; the stage is detached when that ends and
 * disposed with the version when it closes. The request path runs the stage like any other (see
 * inference/stages/mirror-stage.ts): it asks no policy per request.
 *
 * What the stage does per request is what a shadow always did: a routed request (one whose URL names no version)
 * is sampled for each target that is READY now, its inputs are copied before the version's own answer runs
 * (running it moves the buffers to a worker), and once the version answered itself the copies are mirrored on a
 * later event-loop turn (shadow-mirror.ts, which also keeps the comparisons and totals across stages).
 *
 * `refresh(model)` brings a model's stages in line with its policies; the traffic manager calls it for every
 * event the model's routing records (traffic changed, a rollout's step or status, a version loaded or unloaded).
 */
import type { ModelVersion, VersionStage } from '../registry/model-version.js';
import type { RegisteredModel } from '../registry/registered-model.js';
import type { Tensor } from '../tensor/index.js';
import type { MirroredRequest, ShadowMirror, ShadowRunner } from './shadow-mirror.js';
import type { PairingPolicy, ShadowPolicy, TrafficTable } from './traffic-policy.js';

/** What happens to the copies once the version answered itself: mirrored to their targets through `run`. */
export type MirrorCopies = (answered: readonly Tensor[], run: ShadowRunner) => void;

/** A version's mirrors, as its stage sees them. */
export interface MirrorTap {
  /** The sampled copies of a routed request, taken before the version answers it; undefined when none is. */
  take(request: MirroredRequest): MirrorCopies | undefined;
}

/** Builds the request stage around a tap (the inference core's, given when the request path adopts routing). */
export type MirrorStageBuilder = (tap: MirrorTap) => VersionStage;

/** One target a version's routed requests are mirrored to. */
interface Assignment {
  readonly mirror: ShadowMirror;
  readonly target: number;
  readonly sampleRate: number;
}

export interface MirrorStagesOptions {
  /** The registry's models (a model's entry is one object for the life of the server). */
  readonly model: (name: string) => RegisteredModel;
  /** The names of the models with a loaded version. */
  readonly loaded: () => Iterable<string>;
  readonly table: TrafficTable;
  readonly mirror: ShadowMirror;
  /** Runs and compares the copies a rollout's paired-disagreement check asks for. */
  readonly pairs?: ShadowMirror | undefined;
  /** The versions a running rollout pairs (see CanaryController.pairingOf). */
  readonly rolloutPairing?: ((model: string) => PairingPolicy | undefined) | undefined;
  /** The shadow a running rollout asks for, which replaces the policy's (see CanaryController.shadowOf). */
  readonly rolloutShadow?: ((model: string) => ShadowPolicy | undefined) | undefined;
}

export const MIRROR_STAGE = 'mirror';

export class MirrorStages {
  private build: MirrorStageBuilder | undefined;
  /** The mirror stage each version holds now, with what it mirrors (to compare with what it should). */
  private readonly attached = new WeakMap<ModelVersion, { readonly key: string; readonly detach: () => void }>();

  constructor(private readonly o: MirrorStagesOptions) {}

  /** Starts giving versions their mirror stages, built by `build`; the loaded models get theirs at once. */
  use(build: MirrorStageBuilder): void {
    this.build = build;
    for (const model of new Set(this.o.loaded())) this.refresh(model);
  }

  /** Gives each READY version of a model the mirror stage its policies ask for now (or none). */
  refresh(model: string): void {
    if (!this.build) return;
    let registered: RegisteredModel;
    try {
      registered = this.o.model(model);
    } catch {
      return; // not in the repository (yet, or any more): no versions to give stages
    }
    const shadow = this.o.rolloutShadow?.(model) ?? this.o.table.policy(model).shadow;
    const pairing = this.o.pairs && this.o.rolloutPairing?.(model);
    for (const slot of registered.versions.values()) {
      if (slot.state !== 'READY') continue;
      const wanted = this.assignments(slot.loaded.id.version, shadow, pairing);
      this.place(registered, slot.loaded, wanted);
    }
  }

  /** What a version's routed requests are mirrored to: the shadow (unless it is the shadow), its rollout pair. */
  private assignments(
    version: number,
    shadow: ShadowPolicy | undefined,
    pairing: PairingPolicy | undefined,
  ): Assignment[] {
    const wanted: Assignment[] = [];
    // A rate of 0 samples nothing and counts nothing: no stage.
    if (shadow && shadow.version !== version && shadow.sampleRate > 0)
      wanted.push({ mirror: this.o.mirror, target: shadow.version, sampleRate: shadow.sampleRate });
    const other =
      pairing &&
      (version === pairing.stable ? pairing.candidate : version === pairing.candidate ? pairing.stable : undefined);
    if (pairing && other !== undefined && pairing.sampleRate > 0)
      wanted.push({ mirror: this.o.pairs!, target: other, sampleRate: pairing.sampleRate });
    return wanted;
  }

  private place(model: RegisteredModel, version: ModelVersion, wanted: readonly Assignment[]): void {
    const key = wanted
      .map((a) => `${a.mirror === this.o.mirror ? 'shadow' : 'paired'}:${a.target}@${a.sampleRate}`)
      .join(' ');
    const current = this.attached.get(version);
    if ((current?.key ?? '') === key) return;
    current?.detach();
    this.attached.delete(version);
    if (!wanted.length) return;
    this.attached.set(version, { key, detach: version.attach(this.build!(tapOf(model, wanted))) });
  }
}

/**
 * Samples and copies a request for each assigned target that is READY now, in order (the shadow, then the pair).
 * The target's slot is read per request, so a target that starts draining or reloads is followed at once.
 */
function tapOf(model: RegisteredModel, assignments: readonly Assignment[]): MirrorTap {
  return {
    take(request) {
      let copies: Array<{ mirror: ShadowMirror; target: ModelVersion; copy: MirroredRequest }> | undefined;
      for (const a of assignments) {
        const slot = model.versions.get(a.target);
        const target = slot?.state === 'READY' ? slot.loaded : undefined;
        if (!target || !a.mirror.sample(request.model, a.target, a.sampleRate)) continue;
        (copies ??= []).push({ mirror: a.mirror, target, copy: a.mirror.copy(request) });
      }
      if (!copies) return undefined;
      const taken = copies;
      return (answered, run) => {
        for (const c of taken) c.mirror.mirror(c.target, c.copy, answered, run);
      };
    },
  };
}

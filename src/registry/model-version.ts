/**
 * One loaded model version, complete: who it is, the config it serves with, its scheduler, the per-version stages
 * its config declared, and the facts of its load. Built once, when the load succeeds; nothing in it is optional
 * that a serving version always has. `close()` drains the queue, stops the instances and disposes the stages.
 */
import type { ModelConfig } from '../config/index.js';
import { versionLabel } from '../config/version-label.js';
import type { ModelScheduler } from '../scheduler/model-scheduler.js';
import type { IntegrityReport } from './integrity.js';
import type { WarmupReport } from './warmup.js';

/** A version's identity: the model, its version number, and the number as requests, answers and metrics spell it. */
export interface VersionId {
  readonly model: string;
  readonly version: number;
  readonly label: string;
}

export function versionId(model: string, version: number): VersionId {
  return { model, version, label: versionLabel(version) };
}

/**
 * A per-version stage: one concern its config declares (feature enrichment, fallback, drift tap...), built when
 * the version loads and disposed when it closes; or one the traffic policy gives it while it serves (a shadow's
 * mirror, attached and detached at run time). What a stage does to a request is the inference core's business
 * (see inference/stages/); the registry only holds and disposes them.
 */
export interface VersionStage {
  readonly name: string;
  dispose?(): void | Promise<void>;
}

/** Builds the stages a version's config declares (none for a plain model). */
export type StageBuilder = (id: VersionId, config: ModelConfig, fingerprint?: string) => readonly VersionStage[];

export interface ModelVersion {
  readonly id: VersionId;
  readonly config: ModelConfig;
  readonly scheduler: ModelScheduler;
  /**
   * Per-version stages, in the order a request passes them (none for a plain model): those attached at run time
   * first, then those its config declared.
   */
  readonly stages: readonly VersionStage[];
  /** Time to start the instances and load the model, without warm-up. */
  readonly loadMs: number;
  /** Warm-up run before the version took traffic. */
  readonly warmup: WarmupReport;
  /** Epoch milliseconds when the version became READY. */
  readonly readyAt: number;
  /** What the integrity check established (undefined when the policy is off). */
  readonly integrity?: IntegrityReport | undefined;
  /** Requests answered by an instance that had never run before (a cold model); 0 when warm-up ran. */
  coldRuns(): number;
  /** What it was loaded from (see FileModelRepository.fingerprint). */
  readonly fingerprint: string;
  /**
   * Adds a stage while the version serves, before (outside) the others; the stage is disposed when the returned
   * function detaches it or the version closes, whichever comes first. On a closed version it is disposed at once.
   */
  attach(stage: VersionStage): () => void;
  /** Drains the queue, stops the instances, disposes the stages. Idempotent. */
  close(): Promise<void>;
}

/** The loaded parts of a version (see load-version.ts) and the facts of its load, as one `ModelVersion`. */
export function assembleVersion(parts: {
  readonly id: VersionId;
  readonly config: ModelConfig;
  readonly scheduler: ModelScheduler;
  readonly stages: readonly VersionStage[];
  readonly loadMs: number;
  readonly warmup: WarmupReport;
  readonly readyAt: number;
  readonly integrity?: IntegrityReport | undefined;
  readonly coldRuns: () => number;
  readonly fingerprint: string;
}): ModelVersion {
  let closing: Promise<void> | undefined;
  /** Stages attached at run time, in the order attached; `all` is them before (outside) the built ones. */
  let attached: readonly VersionStage[] = [];
  let all = parts.stages;
  const set = (next: readonly VersionStage[]) => {
    attached = next;
    all = next.length ? [...next, ...parts.stages] : parts.stages;
  };
  const attach = (stage: VersionStage) => {
    if (closing) {
      void stage.dispose?.();
      return () => undefined;
    }
    set([...attached, stage]);
    return () => {
      if (!attached.includes(stage)) return;
      set(attached.filter((s) => s !== stage));
      void stage.dispose?.();
    };
  };
  const close = async () => {
    await parts.scheduler.close();
    // Later stages first: the reverse of the order a request passes them.
    const stages = all;
    set([]);
    for (const stage of [...stages].reverse()) await stage.dispose?.();
  };
  return {
    ...parts,
    get stages() {
      return all;
    },
    attach,
    close: () => (closing ??= close()),
  };
}

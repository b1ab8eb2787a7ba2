/**
 * The canary window stage: the window of evidence (outcomes, latencies, predictions) a version under a rollout
 * holds for the canary analysis. A rollout is started at run time (over the API, restored after a restart, or
 * learnt from another replica), so the window is an attached stage, as a shadow's mirror is: the versions of a
 * model get one while a rollout of that model is active (progressing or paused) and lose it when the rollout
 * finishes (`CanaryWindows`, driven by the canary controller). A plain model's versions have no window.
 *
 * A window starts empty when attached and is emptied when detached or when its version closes, so a version
 * loaded again starts with no evidence. It has no request handler: the traffic director records into it.
 */
import type { ModelVersion, VersionStage } from '../registry/model-version.js';
import type { RegisteredModel } from '../registry/registered-model.js';
import { EMPTY_WINDOW, VersionWindow, type WindowSummary } from './version-window.js';

export const CANARY_WINDOW = 'canary-window';

export interface CanaryWindowStage extends VersionStage {
  readonly name: typeof CANARY_WINDOW;
  readonly window: VersionWindow;
}

export function canaryWindowStage(maxSamples?: number): CanaryWindowStage {
  const window = new VersionWindow(maxSamples);
  return { name: CANARY_WINDOW, window, dispose: () => window.clear() };
}

/** The canary window a version holds, if a rollout gave it one. */
export function windowOf(version: ModelVersion | undefined): VersionWindow | undefined {
  const stage = version?.stages.find(
    (s): s is CanaryWindowStage =>
      s.name === CANARY_WINDOW && (s as Partial<CanaryWindowStage>).window instanceof VersionWindow,
  );
  return stage?.window;
}

/** What a version answered from `since` on (nothing when it is not loaded or has no window). */
export function summariseWindow(version: ModelVersion | undefined, since: number): WindowSummary {
  return windowOf(version)?.summarise(since) ?? EMPTY_WINDOW;
}

/**
 * Attaches and detaches the canary windows of a model's versions. `refresh` gives each READY version of an observed
 * model a window (a version loaded during a rollout gets one when its load is recorded) and takes them all away
 * from a model that is not observed; a draining version keeps its window until the rollout ends or it closes.
 */
export class CanaryWindows {
  private readonly attached = new WeakMap<ModelVersion, () => void>();

  /** `model` is undefined for a model that is not in the repository (it holds no versions). */
  constructor(
    private readonly model: (name: string) => RegisteredModel | undefined,
    private readonly maxSamples?: number,
  ) {}

  /** Brings a model's windows in line with whether a rollout observes it. */
  refresh(model: string, observed: boolean): void {
    if (!observed) return this.detach(model);
    for (const slot of this.model(model)?.versions.values() ?? []) {
      if (slot.state !== 'READY' || this.attached.has(slot.loaded)) continue;
      const version = slot.loaded;
      const detach = version.attach(canaryWindowStage(this.maxSamples));
      this.attached.set(version, detach);
    }
  }

  /** Takes every window of a model's loaded versions away (what they held is dropped). */
  detach(model: string): void {
    for (const slot of this.model(model)?.versions.values() ?? []) {
      if (slot.state !== 'READY' && slot.state !== 'UNLOADING') continue;
      this.attached.get(slot.loaded)?.();
      this.attached.delete(slot.loaded);
    }
  }
}

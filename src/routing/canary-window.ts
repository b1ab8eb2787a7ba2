/**
 * The canary window stage: each loaded version owns the window of evidence (outcomes, latencies, predictions)
 * the canary analysis reads while the version is under a rollout. The window lives and dies with the version:
 * it is built when the version loads and emptied when it closes, so a reloaded version starts with no evidence.
 *
 * A rollout is started at run time (over the API, or restored after a restart), not declared in a version's
 * config, so every version gets this stage; it has no request handler, so a plain model's request path is
 * unchanged. Samples are recorded only while the model is observed (a rollout is running): see TrafficDirector.
 */
import type { ModelVersion, VersionStage } from '../registry/model-version.js';
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

/** The canary window a version owns, if it was loaded with one. */
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

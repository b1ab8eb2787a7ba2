/**
 * Reads one snapshot: the metric families from the /metrics registry (the same values a scrape returns at that
 * instant), then per model its traffic view, latest rollout and SLO report from the planes.
 */
import type { Registry } from 'prom-client';
import type { ControlPlane } from '../control/control-plane.js';
import type { IndexEntry, Rollout, TrafficView } from '../control/control-types.js';
import type { InferenceService } from '../inference/inference-service.js';
import type { SloReport } from '../slo/slo-tracker.js';
import { readFamilies } from './metric-reader.js';
import { FAMILIES, GroupedFamilies, modelFigures } from './model-figures.js';
import type { EventFigures, ModelFigures, Snapshot } from './snapshot.js';

export interface SnapshotSources {
  /** The /metrics registry. */
  readonly registry: Registry;
  readonly data: InferenceService;
  readonly control: ControlPlane;
  /** inferd_request_duration_seconds's bucket bounds, in seconds. */
  readonly bounds: readonly number[];
}

/** A model's SLO report, or undefined when it has none (the feed keeps them a while: slo-reports.ts). */
export type SloReader = (model: string) => SloReport | undefined;

/** Each model's name and overall state from the index: READY when a version is, else its newest entry's. */
function modelStates(entries: readonly IndexEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const seen = out.get(e.name);
    if (seen !== 'READY') out.set(e.name, e.state);
  }
  return out;
}

/** `read()`, or undefined when it throws (an unavailable model has no traffic view, one without `slo:` no report). */
export function optional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function latestRollout(control: ControlPlane, model: string): Rollout | undefined {
  const all = optional(() => control.rollouts(model)) ?? [];
  let latest: Rollout | undefined;
  for (const r of all) if (!latest || r.startedAt >= latest.startedAt) latest = r;
  return latest;
}

/** Each model's figures from the families read. */
function readModels(families: GroupedFamilies, sources: SnapshotSources, slo: SloReader): ModelFigures[] {
  const { control, bounds } = sources;
  const states = modelStates(control.index());
  return [...states].map(([name, state]) =>
    modelFigures(families, {
      name,
      state,
      bounds,
      traffic: optional<TrafficView>(() => control.traffic(name)),
      rollout: latestRollout(control, name),
      slo: slo(name),
    }),
  );
}

/** Reads snapshot `id`: every family once, then the planes, with no turn of the event loop in between. */
export async function readSnapshot(
  sources: SnapshotSources,
  slo: SloReader,
  id: number,
  at: () => number,
  events: () => readonly EventFigures[],
): Promise<Snapshot> {
  const families = new GroupedFamilies(await readFamilies(sources.registry, FAMILIES));
  return {
    id,
    at: at(),
    process: {
      cpuSeconds: families.total('process_cpu_user_seconds_total') + families.total('process_cpu_system_seconds_total'),
      inflight: families.total('inferd_inflight_requests'),
      faults: families.total('inferd_process_faults_total'),
    },
    models: readModels(families, sources, slo),
    events: events(),
  };
}

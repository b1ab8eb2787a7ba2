/** The JSON of GET /v1/models/{m}/drift: per version and feature, each statistic with its threshold and flag. */
import type { DriftReport } from '../../control/control-plane.js';
import type { DriftEvent, FeatureDrift, VersionDrift, WindowReport } from '../../control/control-types.js';

const iso = (ms: number) => new Date(ms).toISOString();

function featureJson(f: FeatureDrift) {
  return {
    feature: f.feature,
    kind: f.kind,
    count: f.count,
    missing_rate: f.missingRate,
    drifted: f.drifted,
    statistics: f.statistics.map((s) => ({
      statistic: s.statistic,
      value: s.value,
      threshold: s.threshold,
      drifted: s.drifted,
    })),
  };
}

function windowJson(w: WindowReport) {
  return {
    rows: w.rows,
    started_at: iso(w.startedMs),
    ended_at: iso(w.endedMs),
    drifted: w.drifted,
    features: w.features.map(featureJson),
    predictions: w.predictions.map(featureJson),
  };
}

function versionJson(v: VersionDrift) {
  const c = v.config;
  return {
    version: v.version,
    status: v.problem !== undefined ? 'unavailable' : v.profile ? 'monitoring' : 'loading',
    ...(v.problem !== undefined ? { problem: v.problem } : {}),
    profile: v.profile
      ? {
          rows: v.profile.rows,
          source: v.profile.source,
          created_at: v.profile.createdAt,
          features: v.profile.features.length,
          predictions: v.profile.predictions.length,
        }
      : null,
    config: {
      sample_rate: c.sampleRate,
      window_rows: c.windowRows,
      window_seconds: c.windowSeconds ?? null,
      window_slices: c.windowSlices,
      min_rows: c.minRows,
      thresholds: {
        psi: c.thresholds.psi,
        ks: c.thresholds.ks,
        js: c.thresholds.js,
        missing_rate: c.thresholds.missingRate,
      },
      webhook: c.webhook ? { url: c.webhook.url, cooldown_seconds: c.webhook.cooldownSeconds } : null,
    },
    evaluations: v.evaluations,
    rows_counted: v.rowsCounted,
    rows_dropped: v.dropped,
    window: v.window ? { rows: v.window.rows, started_at: iso(v.window.startedMs) } : null,
    drifted: v.last?.drifted ?? false,
    last_window: v.last ? windowJson(v.last) : null,
    webhook: { ...v.webhook, last_at: v.lastWebhookMs === undefined ? null : iso(v.lastWebhookMs) },
  };
}

function eventJson(e: DriftEvent) {
  return {
    type: e.type,
    at: iso(e.atMs),
    version: e.version,
    source: e.source,
    feature: e.feature,
    statistic: e.statistic,
    value: e.value,
    threshold: e.threshold,
    window_rows: e.windowRows,
  };
}

export function driftReportJson({ model, versions, events }: DriftReport) {
  return { model, versions: versions.map(versionJson), events: events.map(eventJson) };
}

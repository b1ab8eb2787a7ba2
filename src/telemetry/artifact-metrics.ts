/**
 * Pulls from artefact stores (`s3://` model repositories), read from the repositories' counts at scrape time:
 * bytes pulled, versions pulled, failed or found in the cache, bytes still to arrive, and whether each store
 * answered its last listing.
 */
import { metricGroup, rowMetric, type MetricGroup } from './metric-group.js';

export interface ArtifactStoreRow {
  readonly repository: string;
  readonly bytes: number;
  readonly versionsPulled: number;
  readonly versionsFailed: number;
  readonly cacheHits: number;
  readonly pendingBytes: number;
  readonly arrivedBytes: number;
  readonly up: boolean;
}

export function createArtifactMetrics(rows: () => readonly ArtifactStoreRow[]): MetricGroup {
  return metricGroup((registers) => {
    const byRepository = (r: ArtifactStoreRow) => ({ repository: r.repository });
    rowMetric(registers, {
      kind: 'counter',
      name: 'inferd_artifact_pulled_bytes_total',
      help: 'Bytes downloaded from the artefact store into the local cache.',
      labels: ['repository'],
      rows,
      labelsOf: byRepository,
      value: (r) => r.bytes,
    });
    const outcomes = () =>
      rows().flatMap((r) => [
        { repository: r.repository, outcome: 'pulled', n: r.versionsPulled },
        { repository: r.repository, outcome: 'failed', n: r.versionsFailed },
        { repository: r.repository, outcome: 'cached', n: r.cacheHits },
      ]);
    rowMetric(registers, {
      kind: 'counter',
      name: 'inferd_artifact_versions_total',
      help: 'Model versions pulled whole, failed (nothing of them loaded) or found unchanged in the cache.',
      labels: ['repository', 'outcome'],
      rows: outcomes,
      labelsOf: (r) => ({ repository: r.repository, outcome: r.outcome }),
      value: (r) => r.n,
    });
    rowMetric(registers, {
      kind: 'gauge',
      name: 'inferd_artifact_pull_remaining_bytes',
      help: 'Bytes still to arrive for the versions being pulled now (0 when none is).',
      labels: ['repository'],
      rows,
      labelsOf: byRepository,
      value: (r) => r.pendingBytes - r.arrivedBytes,
    });
    rowMetric(registers, {
      kind: 'gauge',
      name: 'inferd_artifact_store_up',
      help: '1 when the artefact store answered its last listing, else 0 (loaded models keep serving).',
      labels: ['repository'],
      rows,
      labelsOf: byRepository,
      value: (r) => (r.up ? 1 : 0),
    });
    return {};
  });
}

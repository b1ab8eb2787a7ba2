/**
 * What has been pulled from each store repository: files and bytes done, failures, and the downloads under way
 * (their bytes expected and arrived), read by the metrics at scrape time (telemetry/artifact-metrics.ts).
 */
export interface DownloadRow {
  /** The repository URL (`s3://bucket/prefix`). */
  readonly repository: string;
  /** Bytes written to the cache since start. */
  bytes: number;
  /** Versions pulled whole, and those that failed (store error, short read, changed while pulled). */
  versionsPulled: number;
  versionsFailed: number;
  /** Versions found complete in the cache and not downloaded again. */
  cacheHits: number;
  /** Bytes expected and arrived for the versions being pulled now. */
  pendingBytes: number;
  arrivedBytes: number;
}

export class DownloadStats {
  private readonly rowsByRepository = new Map<string, DownloadRow>();

  row(repository: string): DownloadRow {
    let row = this.rowsByRepository.get(repository);
    if (!row) {
      row = {
        repository,
        bytes: 0,
        versionsPulled: 0,
        versionsFailed: 0,
        cacheHits: 0,
        pendingBytes: 0,
        arrivedBytes: 0,
      };
      this.rowsByRepository.set(repository, row);
    }
    return row;
  }

  rows(): DownloadRow[] {
    return [...this.rowsByRepository.values()];
  }
}

/**
 * The repositories of one server at start: folders are checked as before (missing, not a folder, empty: the start
 * fails), stores are listed once; a store that cannot be read leaves the server up and not ready, with the
 * reason, while StartRetry tries again. Afterwards, a store that cannot be read only degrades readiness: what is
 * loaded keeps serving.
 */
import type { ArtifactStoreConfig } from '../config/artifact-store-config.js';
import { checkModelRepository } from '../repository/check-model-repository.js';
import { ModelRepositoryError } from '../repository/model-repository-error.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { Logger } from '../telemetry/logger.js';
import { ArtifactStoreError } from './artifact-store-error.js';
import type { DownloadRow, DownloadStats } from './download-stats.js';
import { openModelRepositories, type OpenedRepositories } from './open-model-repository.js';
import type { StartRetry } from './start-retry.js';

export interface RepositoryStartOptions {
  readonly modelRepository: string;
  readonly modelRepositories?: readonly string[] | undefined;
  readonly artifactStore?: ArtifactStoreConfig | undefined;
  readonly allowEmptyRepository?: boolean | undefined;
}

/** A readiness check as the data plane takes it (inference/server-readiness.ts). */
export interface StoreReadinessCheck {
  readonly dependency: string;
  readonly degrades?: boolean;
  problem(): string | undefined;
}

export class StoreRepositories {
  /** Set while the stores are retried at start. */
  retry: StartRetry | undefined;

  constructor(
    private readonly opened: OpenedRepositories,
    /** Why the stores could not be read at start; undefined when they could. */
    readonly startProblem: string | undefined,
    private readonly assertNotEmpty: (names: readonly string[]) => void,
    readonly retryMaxMs: number,
  ) {}

  get repository(): ModelRepository {
    return this.opened.repository;
  }

  get stats(): DownloadStats {
    return this.opened.stats;
  }

  /** Lists every repository; rejects when a store cannot be read or (unless allowed) nothing is there to serve. */
  async check(): Promise<void> {
    this.assertNotEmpty(await this.repository.modelNames());
  }

  /**
   * At start, not ready while no store could be read yet. Afterwards a store that cannot be read degrades (the
   * reason is reported, readiness stays true): loaded models serve from memory and the cache.
   */
  readinessChecks(): StoreReadinessCheck[] {
    if (this.opened.stores.length === 0) return [];
    return [
      { dependency: 'model_repository', problem: () => this.retry?.problem },
      {
        dependency: 'artifact_store',
        degrades: true,
        problem: () => (this.retry?.problem ? undefined : this.opened.stores.map((s) => s.problem()).find(Boolean)),
      },
    ];
  }

  /** Per store repository: what was pulled, what is under way, whether it answers (the metrics' rows). */
  metricRows(): Array<DownloadRow & { readonly up: boolean }> {
    const problems = new Map(this.opened.stores.map((s) => [s.location, s.problem()]));
    return this.stats.rows().map((r) => ({ ...r, up: problems.get(r.repository) === undefined }));
  }

  close(): void {
    this.repository.close?.();
  }
}

/** Opens the server's repositories; rejects only for a folder that cannot serve or a store that answers empty. */
export async function openRepositories(
  options: RepositoryStartOptions,
  mode: 'none' | 'explicit' | 'poll',
  logger: Logger,
): Promise<StoreRepositories> {
  const locations = options.modelRepositories?.length ? options.modelRepositories : [options.modelRepository];
  const allowEmpty = options.allowEmptyRepository ?? false;
  for (const path of locations.filter((l) => !/^s3:\/\//i.test(l)))
    // With several repositories, one of them may be empty: the union is what must hold a model.
    await checkModelRepository({ path, modelControlMode: mode, allowEmpty: allowEmpty || locations.length > 1 });
  const opened = await openModelRepositories(locations, { artifactStore: options.artifactStore, logger });
  const assertNotEmpty = (names: readonly string[]) => {
    if (names.length > 0) return;
    if (allowEmpty && mode !== 'none') {
      logger.warn(
        { model_repository: locations.join(', ') },
        'the model repository has no models yet: nothing serves until one is added and loaded',
      );
      return;
    }
    throw new ModelRepositoryError(
      'empty',
      locations.join(', '),
      `the model repository ${locations.join(', ')} has no model folders, so there is nothing to serve: check the location, or add a model (<model>/<version>/model.onnx); to start empty and load models later, use --model-control-mode explicit (or poll) with --allow-empty-repository`,
    );
  };
  let startProblem: string | undefined;
  // Folders and stores alike: the union must hold a model, or an empty start must be allowed (and is logged).
  try {
    await opened.repository.modelNames().then(assertNotEmpty);
  } catch (err) {
    if (!(err instanceof ArtifactStoreError)) throw err;
    startProblem = err.message;
    logger.error({ model_repository: locations.join(', '), reason: err.message }, 'cannot read the model repository');
  }
  const retryMaxMs = options.artifactStore?.startRetryMaxMs ?? 30_000;
  return new StoreRepositories(opened, startProblem, assertNotEmpty, retryMaxMs);
}

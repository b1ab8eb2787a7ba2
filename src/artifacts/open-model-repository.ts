/**
 * The repositories a server is given (`--model-repository`, repeated or `model_repositories`), folders and
 * `s3://` URLs alike, behind the one ModelRepository the registry reads.
 */
import { join } from 'node:path';
import {
  artifactStoreConfigSchema,
  isStoreUrl,
  parseStoreUrl,
  toArtifactStoreConfig,
  type ArtifactStoreConfig,
} from '../config/artifact-store-config.js';
import { repositoryKey, resolveStateDir } from '../config/state-dir.js';
import { CompositeModelRepository } from '../repository/composite-model-repository.js';
import { FileModelRepository, type ModelRepository } from '../repository/model-repository.js';
import type { Logger } from '../telemetry/logger.js';
import { DownloadSlots } from './download-slots.js';
import { DownloadStats } from './download-stats.js';
import type { StoreModelRepository } from './store-model-repository.js';
import { PARSE_ONCE } from '../config/parse-once.js';

export interface OpenedRepositories {
  /** What the registry reads. */
  readonly repository: ModelRepository;
  /** The store repositories among them (readiness, metrics). */
  readonly stores: readonly StoreModelRepository[];
  /** The folders among them, as given (checked at start). */
  readonly folders: readonly string[];
  readonly stats: DownloadStats;
}

/** Default store settings for library use without a server config: the cache under the state directory. */
export function defaultArtifactStoreConfig(firstRepository: string): ArtifactStoreConfig {
  return toArtifactStoreConfig(
    artifactStoreConfigSchema.parse({}, PARSE_ONCE),
    resolveStateDir(undefined, firstRepository).path,
  );
}

export async function openModelRepositories(
  locations: readonly string[],
  options: { readonly artifactStore?: ArtifactStoreConfig | undefined; readonly logger: Logger },
): Promise<OpenedRepositories> {
  const config = options.artifactStore ?? defaultArtifactStoreConfig(locations[0]);
  const slots = new DownloadSlots(config.maxConcurrentDownloads);
  const stats = new DownloadStats();
  const stores: StoreModelRepository[] = [];
  const parts: ModelRepository[] = [];
  for (const location of locations) {
    if (!isStoreUrl(location)) {
      parts.push(new FileModelRepository(location));
      continue;
    }
    // The AWS SDK loads only when a repository is in a store: a server on folders never pays for it.
    const [{ S3Store }, { StoreModelRepository }] = await Promise.all([
      import('./s3-store.js'),
      import('./store-model-repository.js'),
    ]);
    const store = new StoreModelRepository({
      store: new S3Store(parseStoreUrl(location), config),
      cacheDir: join(config.cacheDir, repositoryKey(location)),
      listIntervalMs: config.listIntervalMs,
      slots,
      stats,
      logger: options.logger,
    });
    await store.open();
    stores.push(store);
    parts.push(store);
  }
  return {
    repository: parts.length === 1 ? parts[0] : new CompositeModelRepository(parts),
    stores,
    folders: locations.filter((l) => !isStoreUrl(l)),
    stats,
  };
}

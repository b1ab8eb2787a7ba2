/**
 * A model repository in an S3-compatible store, laid out as on disk (`<prefix>/<model>/config.yaml`,
 * `<prefix>/<model>/<version>/model.onnx`), read through a local cache (artifact-cache.ts):
 *
 * - the listing (every object with its ETag) is the repository's state; one listing per `list_interval_ms` at
 *   most, shared by a poll scan's models and versions;
 * - a model's own files (config, labels, manifest) are pulled when it is read, into a folder named by their ETags;
 * - a version is pulled when it is loaded (`fetchVersion`), whole, into a temporary folder renamed into place,
 *   and not pulled again while its objects' ETags are those it was pulled from (across restarts too);
 * - fingerprints are digests of ETags, so a poll decides what changed without downloading anything.
 *
 * A store that cannot be read throws ArtifactStoreError (a poll then changes nothing: what serves keeps serving).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultModelConfig, MODEL_NAME_PATTERN, type DeclaredModelConfig } from '../config/index.js';
import type { StoreLocation } from '../config/artifact-store-config.js';
import { isVersionLabel, versionLabel } from '../config/version-label.js';
import { ModelLoadError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import {
  assertValidModelName,
  readModelFolderConfig,
  type ModelDefinition,
  type ModelRepository,
} from '../repository/model-repository.js';
import { ArtifactCache, linkTree } from './artifact-cache.js';
import type { DownloadSlots } from './download-slots.js';
import type { DownloadRow, DownloadStats } from './download-stats.js';
import type { S3Store, StoreObject } from './s3-store.js';

export interface StoreRepositoryOptions {
  readonly store: S3Store;
  /** This repository's folder in the cache. */
  readonly cacheDir: string;
  readonly listIntervalMs: number;
  readonly slots: DownloadSlots;
  readonly stats: DownloadStats;
  readonly logger: Logger;
}

/** A model's objects, split into its own files and its version folders. */
interface ModelObjects {
  readonly own: StoreObject[];
  readonly versions: Map<string, StoreObject[]>;
  /** An object whose key cannot be a file name under the model folder. */
  readonly unsafe?: string | undefined;
}

interface Listing {
  readonly at: number;
  readonly models: Map<string, ModelObjects>;
}

const SAFE_PART = /^[^\\/\0]+$/;

/** Digest of objects' paths, ETags and sizes: equal digests, same content. */
function digest(objects: readonly StoreObject[], strip = 0): string {
  const hash = createHash('sha256');
  for (const o of [...objects].sort((a, b) => a.path.localeCompare(b.path)))
    hash.update(`${o.path.slice(strip)}\0${o.etag}\0${o.size}\n`);
  return hash.digest('hex').slice(0, 16);
}

function groupByModel(objects: readonly StoreObject[]): Map<string, ModelObjects> {
  const models = new Map<string, ModelObjects>();
  for (const o of objects) {
    const parts = o.path.split('/');
    if (parts.length < 2 || !MODEL_NAME_PATTERN.test(parts[0])) continue; // files beside the models
    let m = models.get(parts[0]);
    if (!m) models.set(parts[0], (m = { own: [], versions: new Map() }));
    if (parts.slice(1).some((p) => !SAFE_PART.test(p) || p === '.' || p === '..')) {
      models.set(parts[0], { ...m, unsafe: o.path });
      continue;
    }
    if (parts.length > 2 && isVersionLabel(parts[1])) {
      const list = m.versions.get(parts[1]) ?? [];
      list.push(o);
      m.versions.set(parts[1], list);
    } else m.own.push(o);
  }
  return models;
}

export class StoreModelRepository implements ModelRepository {
  readonly location: string;
  readonly root: string;
  private readonly cache: ArtifactCache;
  private listing: Listing | undefined;
  /** Each model's snapshot folder as last read. */
  private readonly folders = new Map<string, string>();
  private listingNow: Promise<Listing> | undefined;
  private readonly row: DownloadRow;
  /** The last listing's failure, while the store cannot be read (cleared by the next good listing). */
  private failure: Error | undefined;

  constructor(private readonly options: StoreRepositoryOptions) {
    this.location = options.store.location.url;
    this.root = options.cacheDir;
    this.cache = new ArtifactCache(options.cacheDir);
    this.row = options.stats.row(this.location);
  }

  get storeLocation(): StoreLocation {
    return this.options.store.location;
  }

  /** Empties what killed downloads left in the cache. */
  open(): Promise<void> {
    return this.cache.open();
  }

  /** Why the store cannot be read now (its last listing failed), or undefined. */
  problem(): string | undefined {
    return this.failure?.message;
  }

  /** The listing, at most one request per interval; concurrent callers share one request. */
  private async list(fresh = true): Promise<Listing> {
    const last = this.listing;
    if (last && (!fresh || performance.now() - last.at < this.options.listIntervalMs)) return last;
    this.listingNow ??= this.options.store
      .list()
      .then((objects) => {
        this.failure = undefined;
        return (this.listing = { at: performance.now(), models: groupByModel(objects) });
      })
      .catch((err: unknown) => {
        this.failure = err as Error;
        throw err;
      })
      .finally(() => {
        this.listingNow = undefined;
      });
    return this.listingNow;
  }

  modelFolder(name: string): string {
    return this.folders.get(name) ?? join(this.root, name);
  }

  async modelNames(): Promise<string[]> {
    return [...(await this.list()).models.keys()].sort();
  }

  modelNamesSync(): string[] {
    return [...(this.listing?.models.keys() ?? [])].sort();
  }

  async readModel(name: string): Promise<ModelDefinition> {
    assertValidModelName(name);
    const objects = (await this.list()).models.get(name);
    const missing = (error: string): ModelDefinition => ({
      name,
      dir: join(this.root, name),
      config: defaultModelConfig(name),
      versions: [],
      error,
    });
    if (!objects) return missing(`model '${name}' is not in the repository ${this.location}`);
    if (objects.unsafe)
      return missing(
        `model '${name}': the object '${objects.unsafe.slice(0, 200)}' is not a safe file name; rename it`,
      );
    const snapshot = digest(objects.own);
    const dir = this.cache.modelDir(name, snapshot);
    await this.pullOwnFiles(name, objects.own, dir);
    const previous = this.folders.get(name);
    this.folders.set(name, dir);
    // Once the model's files changed twice in this run, the snapshot before the previous one is no longer needed.
    if (previous && previous !== dir) await this.cache.prune(name, [snapshotOf(dir), snapshotOf(previous)]);
    const versions = [...objects.versions.keys()].map(Number).sort((a, b) => a - b);
    let config: DeclaredModelConfig;
    try {
      config = await readModelFolderConfig(dir, name);
    } catch (err) {
      return { name, dir, config: defaultModelConfig(name), versions: [], error: (err as Error).message };
    }
    const error = versions.length
      ? undefined
      : `model '${name}' has no numbered version folders (expected ${name}/1/...)`;
    return { name, dir, config, versions, error };
  }

  /** The model's own files, pulled into their snapshot folder unless it is there already. */
  private async pullOwnFiles(name: string, own: readonly StoreObject[], dir: string): Promise<void> {
    if (existsSync(dir)) return; // renamed into place complete, and named by what it holds
    const temp = await this.cache.tempDir(`${name}-model`);
    try {
      await this.pullAll(own, temp, name.length + 1);
      await this.cache.publish(temp, dir);
    } catch (err) {
      await removeQuietly(temp);
      throw err;
    }
  }

  async fingerprint(name: string, version: number): Promise<string> {
    const objects = (await this.list(false)).models.get(name);
    const files = objects?.versions.get(versionLabel(version)) ?? [];
    return `${digest(objects?.own ?? [])}:${digest(files)}`;
  }

  async fetchVersion(def: ModelDefinition, version: number): Promise<void> {
    const label = versionLabel(version);
    const objects = (await this.list(false)).models.get(def.name)?.versions.get(label);
    if (!objects?.length)
      throw new ModelLoadError(`model '${def.name}' version ${label} is no longer in ${this.location}`);
    const snapshot = snapshotOf(def.dir);
    const want = digest(objects, def.name.length + label.length + 2);
    if ((await this.cache.versionDigest(def.name, snapshot, label)) === want) {
      this.row.cacheHits += 1;
      return; // pulled before (this run or an earlier one) from the same objects
    }
    const temp = await this.cache.tempDir(`${def.name}-${label}`);
    const target = join(def.dir, label);
    try {
      const donor = await this.cache.findVersion(def.name, label, want);
      if (donor) await linkTree(donor, temp);
      else await this.pullVersion(def.name, label, objects, temp);
      await this.cache.forgetVersion(def.name, snapshot, label);
      await this.cache.publish(temp, target);
      await this.cache.recordVersion(def.name, snapshot, label, want);
    } catch (err) {
      this.row.versionsFailed += 1;
      await removeQuietly(temp);
      this.options.logger.error(
        { model: def.name, version, repository: this.location, reason: (err as Error).message },
        `pulling model '${def.name}' version ${label} failed; nothing of it is loaded`,
      );
      throw err;
    }
  }

  private async pullVersion(name: string, label: string, objects: StoreObject[], temp: string): Promise<void> {
    const total = objects.reduce((n, o) => n + o.size, 0);
    const log = this.options.logger;
    const facts = {
      model: name,
      version: Number(label),
      repository: this.location,
      files: objects.length,
      bytes: total,
    };
    log.info(facts, `pulling model '${name}' version ${label} from ${this.location}`);
    const started = performance.now();
    await this.pullAll(objects, temp, name.length + label.length + 2, total);
    this.row.versionsPulled += 1;
    const ms = Math.round(performance.now() - started);
    log.info({ ...facts, ms }, `pulled model '${name}' version ${label} (${total} bytes in ${ms} ms)`);
  }

  /** Downloads objects into `temp` (their paths less `strip` characters), a bounded number at a time. */
  private async pullAll(objects: readonly StoreObject[], temp: string, strip: number, total = 0): Promise<void> {
    this.row.pendingBytes += total;
    let arrived = 0;
    let nextReport = 0.25;
    const onBytes = (n: number) => {
      arrived += n;
      this.row.arrivedBytes += n;
      this.row.bytes += n;
      if (total >= 16 * 1024 * 1024 && arrived / total >= nextReport) {
        this.options.logger.info(
          { repository: this.location, arrived_bytes: arrived, bytes: total },
          `pulled ${Math.round((100 * arrived) / total)}% of ${total} bytes`,
        );
        nextReport += 0.25;
      }
    };
    try {
      const results = await Promise.allSettled(
        objects.map((o) =>
          this.options.slots.run(async () => {
            const file = join(temp, o.path.slice(strip));
            await mkdir(dirname(file), { recursive: true });
            await this.options.store.download(o, file, onBytes);
          }),
        ),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      this.row.pendingBytes -= total;
      this.row.arrivedBytes -= arrived;
    }
  }

  /** Cache paths in messages (`<cache>/<model>/<snapshot>/1/model.onnx`) named as in the store (`<model>/1/...`). */
  rewritePaths(message: string): string {
    return message
      .split(this.root + '/')
      .join('')
      .replace(/(^|[\s'"(])([^\s'"/]+)\/[0-9a-f]{16}(\/|\b)/g, '$1$2$3');
  }

  close(): void {
    this.options.store.close();
  }
}

function snapshotOf(modelDir: string): string {
  return modelDir.slice(modelDir.lastIndexOf('/') + 1);
}

async function removeQuietly(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

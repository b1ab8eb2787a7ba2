/**
 * The models this server holds and the lifecycle of their versions. Version resolution for requests lives here:
 * no version means the highest READY one.
 */
import type { VersionPolicy } from '../config/index.js';
import { InvalidArgumentError, ModelNotReadyError, NotFoundError } from '../errors/index.js';
import type { FileModelRepository, ModelDefinition } from '../repository/model-repository.js';
import { selectVersions } from '../repository/version-policy.js';
import type { Logger } from '../telemetry/logger.js';
import { loadVersion } from './load-version.js';
import type { RegisteredModel, ServingVersion } from './serving-version.js';

export interface IndexEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
}

const DEFAULT_POLICY: VersionPolicy = { kind: 'latest', numVersions: 1 };

function parseVersion(version: string): number {
  if (!/^[1-9]\d{0,17}$/.test(version)) {
    throw new InvalidArgumentError(`invalid model version '${version.slice(0, 32)}': versions are positive integers`);
  }
  return Number(version);
}

export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();
  private loading = false;
  private loaded = false;

  constructor(
    private readonly repository: FileModelRepository,
    private readonly logger: Logger,
  ) {}

  /** Loads every model in the repository. A model that fails is recorded with its reason; the others still load. */
  async loadAll(): Promise<void> {
    this.loading = true;
    try {
      const defs = await this.repository.readAll();
      await Promise.all(defs.map((d) => this.loadModel(d)));
    } finally {
      this.loading = false;
      this.loaded = true;
    }
  }

  private async loadModel(def: ModelDefinition): Promise<void> {
    const model: RegisteredModel = { name: def.name, versions: new Map(), error: def.error };
    this.models.set(def.name, model);
    if (def.error) {
      this.logger.error({ model: def.name, reason: def.error }, 'model failed to load');
      return;
    }
    const versions = selectVersions(def.versions, def.config.versionPolicy ?? DEFAULT_POLICY);
    if (versions.length === 0) {
      model.error = `no version of model '${def.name}' matches its version_policy (versions on disk: ${def.versions.join(', ') || 'none'})`;
      this.logger.error({ model: def.name, reason: model.error }, 'model failed to load');
      return;
    }
    await Promise.all(versions.map((v) => this.loadOne(def, model, v)));
  }

  private async loadOne(def: ModelDefinition, model: RegisteredModel, version: number): Promise<void> {
    const entry: ServingVersion = { name: def.name, version, state: 'LOADING' };
    model.versions.set(version, entry);
    const started = performance.now();
    try {
      const loaded = await loadVersion(def, version);
      Object.assign(entry, { ...loaded, state: 'READY', loadMs: performance.now() - started });
      this.logger.info(
        { model: def.name, version, runtime: loaded.config.runtime, max_batch_size: loaded.config.maxBatchSize, instances: loaded.config.instanceCount, load_ms: Math.round(entry.loadMs ?? 0) },
        `loaded model '${def.name}' version ${version}`,
      );
    } catch (err) {
      entry.state = 'UNAVAILABLE';
      entry.reason = (err as Error).message;
      this.logger.error({ model: def.name, version, reason: entry.reason }, `model '${def.name}' version ${version} failed to load`);
    }
  }

  /** The model by name, or NotFoundError. */
  model(name: string): RegisteredModel {
    const model = this.models.get(name);
    if (!model) throw new NotFoundError(`unknown model '${name.slice(0, 128)}'; GET /v2/repository/index lists the models`);
    return model;
  }

  /** The version a request names, or the highest READY version. Throws NotFound / ModelNotReady with the reason. */
  resolve(name: string, version?: string): ServingVersion {
    const model = this.model(name);
    if (version !== undefined && version !== '') {
      const v = model.versions.get(parseVersion(version));
      if (!v) {
        const have = [...model.versions.keys()].join(', ') || 'none';
        throw new NotFoundError(`model '${name}' has no version ${version}; loaded versions: ${have}`);
      }
      return v;
    }
    const ready = [...model.versions.values()].filter((v) => v.state === 'READY').sort((a, b) => b.version - a.version);
    if (ready.length) return ready[0];
    const reasons = model.error ?? [...model.versions.values()].map((v) => `version ${v.version}: ${v.state}${v.reason ? ` (${v.reason})` : ''}`).join('; ');
    throw new ModelNotReadyError(`model '${name}' is not ready: ${reasons || 'no versions loaded'}`);
  }

  /** A version ready to serve, or ModelNotReadyError saying why not. */
  resolveReady(name: string, version?: string): ServingVersion {
    const v = this.resolve(name, version);
    if (v.state !== 'READY' || !v.scheduler || !v.config) {
      throw new ModelNotReadyError(`model '${name}' version ${v.version} is not ready: ${v.state}${v.reason ? `: ${v.reason}` : ''}`);
    }
    return v;
  }

  /** Every model and version with its state. */
  index(): IndexEntry[] {
    const out: IndexEntry[] = [];
    for (const m of [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (m.error) out.push({ name: m.name, state: 'UNAVAILABLE', reason: m.error });
      for (const v of m.versions.values()) out.push({ name: m.name, version: v.version, state: v.state, reason: v.reason });
    }
    return out;
  }

  /** Ready when initial loading is done and (strict) every model has all its versions READY, or (lenient) always. */
  isReady(strict: boolean): boolean {
    if (!this.loaded || this.loading) return false;
    if (!strict) return true;
    return [...this.models.values()].every((m) => !m.error && [...m.versions.values()].every((v) => v.state === 'READY'));
  }

  /** Drains every version's queue, then stops their instances. */
  async stop(): Promise<void> {
    const all = [...this.models.values()].flatMap((m) => [...m.versions.values()]);
    await Promise.all(
      all.map(async (v) => {
        if (!v.scheduler) return;
        v.state = 'UNLOADING';
        await v.scheduler.close();
        v.state = 'UNAVAILABLE';
        v.reason = 'unloaded';
      }),
    );
  }
}

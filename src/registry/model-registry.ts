/**
 * The models this server holds and the lifecycle of their versions. Loading is load-before-unload: a new or
 * changed version becomes READY before the one it replaces stops taking requests and drains. Operations on one
 * model are serialised. Version resolution for requests lives here: no version means the highest READY one.
 */
import type { DeclaredModelConfig, InlineExecutionDefaults } from '../config/index.js';
import { isVersionLabel } from '../config/version-label.js';
import { InvalidArgumentError, ModelLoadError, ModelNotReadyError, NotFoundError } from '../errors/index.js';
import { stat } from 'node:fs/promises';
import { assertValidModelName, type ModelDefinition, type ModelRepository } from '../repository/model-repository.js';
import { selectVersions } from '../repository/version-policy.js';
import type { Logger } from '../telemetry/logger.js';
import { featuresConfigProblem, IntegrityRefusal, verifyModelIntegrity, type IntegrityPolicy } from './integrity.js';
import { loadVersion } from './load-version.js';
import { repositoryRelative, rewriteMessage } from './repository-paths.js';
import type { ModelReadiness } from './readiness.js';
import { WarmupFailures, WarmupFileError, type WarmupFailureCount } from './warmup.js';
import type { LifecycleEvent, RegisteredModel } from './registered-model.js';
import { assembleVersion, versionId, type ModelVersion, type StageBuilder } from './model-version.js';
import { readyVersion, slotReason, transition, type SlotEvent, type VersionSlot } from './version-slot.js';

export interface IndexEntry {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
}

/** Unloaded on purpose (policy, unload request, stop): not counted against readiness. */
function isRetired(slot: VersionSlot): boolean {
  return slot.state === 'UNLOADING' || (slot.state === 'UNAVAILABLE' && slot.retired);
}

/** A slot's state and reason, as messages say it: `UNAVAILABLE (why)`. */
function describe(slot: VersionSlot): string {
  const reason = slotReason(slot);
  return `${slot.state}${reason ? ` (${reason})` : ''}`;
}

function parseVersion(version: string): number {
  if (!isVersionLabel(version)) {
    throw new InvalidArgumentError(`invalid model version '${version.slice(0, 32)}': versions are positive integers`);
  }
  return Number(version);
}

export interface SyncOptions {
  /** Reload versions even when their files have not changed (an explicit load request). */
  readonly force: boolean;
  /** A config given with the load request (normalised), replacing the model's config file. */
  readonly override?: DeclaredModelConfig | undefined;
  /**
   * List a model that is not in the repository, with the reason (the models named at start: the operator asked
   * for them, and readiness must say so). A load request for one is refused and leaves no row behind.
   */
  readonly listMissing?: boolean;
  /** Only these versions, whatever the version policy says (pre-deploy validation of chosen versions). */
  readonly only?: readonly number[] | undefined;
}

export interface RegistryOptions {
  /** What a version folder must prove before it loads (default: nothing). */
  readonly integrity?: IntegrityPolicy;
  /** Told when a version becomes ready, is refused or unloads. */
  readonly onEvent?: (event: LifecycleEvent) => void;
  /** sha256 of the features config this server read: a signed model with a `features:` mapping must name it. */
  readonly featuresConfigSha256?: string | undefined;
  /** Inline execution's defaults (config/inline-config.ts; default: on, 50 µs). */
  readonly inline?: InlineExecutionDefaults | undefined;
}

export class ModelRegistry {
  private readonly models = new Map<string, RegisteredModel>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly warmupFailureCounts = new WarmupFailures();
  /**
   * The models this server is meant to serve, which readiness depends on: those it was started with (the whole
   * repository in none and poll mode, load_models in explicit mode), and those a load request or a repository
   * scan brought to READY since; minus those unloaded on request or removed from the repository.
   */
  private readonly intended = new Set<string>();
  /** Rewrites messages so that files are named relative to the repository, never by absolute path. */
  private readonly relative: (message: string) => string;
  private loaded = false;

  constructor(
    private readonly repository: ModelRepository,
    private readonly logger: Logger,
    private readonly options: RegistryOptions = {},
  ) {
    const relative = repositoryRelative(repository.root);
    const own = repository.rewritePaths?.bind(repository);
    this.relative = own ? (message) => relative(own(message)) : relative;
  }

  /** Loads the named models (all of the repository's when `names` is undefined); failures are recorded, not thrown. */
  async loadInitial(names?: readonly string[]): Promise<void> {
    try {
      const all = names ?? (await this.repository.modelNames());
      for (const n of all) this.intended.add(n);
      await Promise.all(all.map((n) => this.loadNamed(n, { force: true, listMissing: true }).catch(() => undefined)));
    } finally {
      this.loaded = true;
    }
  }

  /** Loads or reloads a model and the versions its policy selects. Rejects with the reason when a version fails. */
  load(name: string, override?: DeclaredModelConfig, only?: readonly number[]): Promise<void> {
    // Loaded on request: from now on the server is meant to serve it. A refused load promises nothing.
    return this.loadNamed(name, { force: true, override, only }, true);
  }

  /** Syncs a model in its turn; `intend`: once it succeeds, the server is meant to serve the model. */
  private loadNamed(name: string, options: SyncOptions, intend = false): Promise<void> {
    assertValidModelName(name);
    const op = async () => {
      await this.sync(name, options);
      if (intend) this.intended.add(name);
    };
    return this.serial(name, op).catch((err: unknown) => {
      throw rewriteMessage(err, this.relative);
    });
  }

  /** Stops serving a model: every version drains, then unloads. */
  unload(name: string): Promise<void> {
    assertValidModelName(name);
    return this.serial(name, async () => {
      const model = this.models.get(name);
      if (!model) throw new NotFoundError(`model '${name}' is not loaded`);
      model.unloaded = true;
      this.intended.delete(name);
      await Promise.all([...model.versions.keys()].map((v) => this.retire(model, v)));
      this.logger.info({ model: name }, `unloaded model '${name}'`);
    });
  }

  /**
   * Brings the registry in line with the repository: new models and versions load, changed ones reload, removed
   * ones unload. Versions whose files did not change keep serving untouched.
   */
  async poll(): Promise<void> {
    const names = new Set(await this.repository.modelNames());
    const known = [...this.models.keys()];
    for (const n of this.intended) if (!names.has(n)) this.intended.delete(n);
    await Promise.all([
      // A model added to the repository is meant to serve once it has loaded; until then it is only listed.
      ...[...names].map((n) => this.loadNamed(n, { force: false }, true).catch(() => undefined)),
      ...known
        .filter((n) => !names.has(n) && !this.models.get(n)?.unloaded)
        .map((n) => this.unload(n).catch(() => undefined)),
    ]);
  }

  /** Runs `op` after the model's earlier operations; the chain is forgotten once idle (names do not accumulate). */
  private serial<T>(name: string, op: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(name) ?? Promise.resolve()).then(op, op);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(name, tail);
    void tail.then(() => {
      if (this.chains.get(name) === tail) this.chains.delete(name);
    });
    return run;
  }

  private modelEntry(name: string): RegisteredModel {
    let model = this.models.get(name);
    if (!model) {
      model = { name, versions: new Map() };
      this.models.set(name, model);
    }
    return model;
  }

  private async sync(name: string, options: SyncOptions): Promise<void> {
    const read = await this.repository.readModel(name);
    const def: ModelDefinition = options.override ? { ...read, config: options.override } : read;
    if (!options.listMissing && !this.models.has(name) && !(await this.repository.modelNames()).includes(name)) {
      // Nothing is recorded for a name the repository does not hold: no index row, no readiness, no metrics.
      throw new ModelLoadError(
        `model '${name.slice(0, 128)}' is not in the repository; POST /v2/repository/index (inferd models list) lists the models it holds`,
      );
    }
    const policy = this.options.integrity;
    if (options.override && policy && policy.mode !== 'off') {
      throw new ModelLoadError(
        `model '${name}': a load request cannot carry a config under the integrity policy '${policy.mode}' (that config is not signed); put it in ${name}/config.yaml, run 'inferd sign' on the model folder and load again without a config`,
      );
    }
    const refusal = await this.modelIntegrityProblem(read);
    if (refusal) return this.refuseChange(name, refusal);
    const model = this.modelEntry(name);
    model.unloaded = false;
    model.refused = undefined;
    model.traffic = def.config.traffic;
    const selected = options.only
      ? def.versions.filter((v) => options.only?.includes(v))
      : selectVersions(def.versions, def.config.versionPolicy);
    const wanted = def.error ? [] : selected;
    const problem =
      def.error ??
      (wanted.length
        ? undefined
        : `no version of model '${name}' matches its version_policy (versions on disk: ${def.versions.join(', ') || 'none'})`);
    if (problem) {
      model.error = this.relative(problem);
      this.logger.error({ model: name, reason: problem }, `model '${name}' failed to load`);
      throw new ModelLoadError(problem);
    }
    const failures: string[] = [];
    await Promise.all(
      wanted.map(async (v) => {
        const print =
          (await this.repository.fingerprint(name, v)) + (options.override ? JSON.stringify(options.override) : '');
        const current = readyVersion(model.versions.get(v));
        if (!options.force && current?.fingerprint === print) return;
        // The same files the integrity check refused: refused again without re-reading them (or telling it again).
        const refused = model.refusedFiles?.get(v);
        if (!options.force && refused?.fingerprint === print)
          return void failures.push(`version ${v}: ${refused.reason}`);
        const failure = await this.loadInto(def, model, v, print);
        if (failure instanceof IntegrityRefusal)
          (model.refusedFiles ??= new Map()).set(v, { fingerprint: print, reason: failure.message });
        else model.refusedFiles?.delete(v);
        if (failure) failures.push(`version ${v}: ${failure.message}`);
      }),
    );
    // A version that failed to load leaves the versions it would replace serving.
    const stale = failures.length
      ? []
      : [...model.versions.values()].filter((v) => !wanted.includes(v.id.version) && !isRetired(v));
    await Promise.all(stale.map((v) => this.retire(model, v.id.version)));
    model.error = undefined;
    if (failures.length) throw new ModelLoadError(`model '${name}' failed to load: ${failures.join('; ')}`);
  }

  /**
   * The model folder's own files (config and version policy, labels, features config digest) against its manifest,
   * before the config is used. Returns the reason to refuse, or undefined (policy off, or the folder is gone).
   */
  private async modelIntegrityProblem(def: ModelDefinition): Promise<string | undefined> {
    const policy = this.options.integrity;
    if (!policy || policy.mode === 'off') return undefined;
    try {
      if (!(await stat(def.dir)).isDirectory()) return undefined;
    } catch {
      return undefined; // not in the repository: reported as such
    }
    try {
      const report = await verifyModelIntegrity(def.dir, def.name, policy);
      return featuresConfigProblem(
        def.name,
        report,
        def.config.features !== undefined,
        this.options.featuresConfigSha256,
      );
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Refuses a change to a model's own files. What serves keeps serving (the reason shows on its index rows);
   * a model with nothing serving is UNAVAILABLE with the reason. Logged and told once per distinct reason.
   */
  private refuseChange(name: string, reason: string): never {
    const model = this.modelEntry(name);
    const stillServing = [...model.versions.values()]
      .filter((v) => v.state === 'READY')
      .map((v) => v.id.version)
      .sort((a, b) => a - b);
    const before = model.refused ?? model.error;
    if (stillServing.length) model.refused = reason;
    else model.error = reason;
    if (before !== reason) {
      this.logger.error(
        { model: name, reason, still_serving: stillServing },
        `model '${name}': a change to the model folder was refused`,
      );
      this.options.onEvent?.({
        type: 'model_refused',
        model: name,
        message: reason,
        evidence: { still_serving: stillServing },
      });
    }
    throw new ModelLoadError(reason);
  }

  /** Moves a model's version to its next slot (see version-slot.ts) and returns it. */
  private step(model: RegisteredModel, version: number, event: SlotEvent): VersionSlot {
    const next = transition(model.versions.get(version), event);
    model.versions.set(version, next);
    return next;
  }

  /** Loads a version beside the one serving (if any) and swaps it in once READY. Returns the failure. */
  private async loadInto(
    def: ModelDefinition,
    model: RegisteredModel,
    version: number,
    fingerprint: string,
  ): Promise<Error | undefined> {
    const id = versionId(def.name, version);
    const serving = readyVersion(model.versions.get(version));
    // Loaded beside a serving version, the new one has a slot of its own until it replaces the old one.
    const loading = transition(serving ? undefined : model.versions.get(version), { type: 'load', id, fingerprint });
    if (!serving) model.versions.set(version, loading);
    const started = performance.now();
    try {
      // A store's version is pulled into its cache (to a temporary folder, renamed once complete) before the
      // integrity check reads it: a failed or partial download fails here, and what serves keeps serving.
      await this.repository.fetchVersion?.(def, version);
      // The loads at start run at normal priority: nothing serves yet that a lowered one would protect.
      const loaded = await loadVersion(def, version, {
        integrity: this.options.integrity,
        lowerPriority: this.loaded,
        inline: this.options.inline,
      });
      const stages = this.stages?.(id, loaded.config) ?? [];
      const ready = assembleVersion({
        id,
        ...loaded,
        stages,
        fingerprint,
        loadMs: performance.now() - started - loaded.warmup.ms,
        readyAt: Date.now(),
      });
      if (!serving && model.versions.get(version) !== loading) {
        await ready.close(); // the server stopped while it loaded
        return new ModelLoadError(`model '${def.name}' version ${version} was unloaded while it loaded`);
      }
      model.versions.set(version, transition(loading, { type: 'loaded', version: ready }));
      this.announceReady(ready, serving !== undefined);
      if (loaded.warmup.failure) this.warnServingCold(ready, loaded.warmup.failure);
      if (serving) await this.close(serving);
      return undefined;
    } catch (err) {
      if (err instanceof WarmupFileError) this.warmupFailureCounts.record(def.name, version, 'file');
      const reason = this.relative((err as Error).message);
      if (!serving) this.step(model, version, { type: 'failed', reason });
      const stillServing = serving
        ? [version]
        : [...model.versions.values()].filter((v) => v.state === 'READY').map((v) => v.id.version);
      this.logger.error(
        { model: def.name, version, reason, still_serving: stillServing },
        `model '${def.name}' version ${version} failed to load`,
      );
      this.options.onEvent?.({
        type: 'version_refused',
        model: def.name,
        version,
        message: reason,
        evidence: { still_serving: stillServing },
      });
      return err as Error;
    }
  }

  private announceReady(v: ModelVersion, reloaded: boolean): void {
    const { config, warmup, id } = v;
    const facts = {
      runtime: config.runtime,
      max_batch_size: config.maxBatchSize,
      instances: config.instanceCount,
      load_ms: Math.round(v.loadMs),
      warmup_ms: Math.round(warmup.ms),
      warmup_requests: warmup.requests,
      warmup_source: warmup.source,
      integrity: v.integrity?.mode ?? 'off',
      ...(warmup.failure ? { warmup_failure: warmup.failure } : {}),
    };
    const message = `${reloaded ? 'reloaded' : 'loaded'} model '${id.model}' version ${id.label}`;
    this.logger.info({ model: id.model, version: id.version, ...facts }, message);
    this.options.onEvent?.({ type: 'version_ready', model: id.model, version: id.version, message, evidence: facts });
  }

  /** A generated warm-up failed: the version serves cold, which an operator should hear of (and can fix). */
  private warnServingCold(v: ModelVersion, failure: string): void {
    this.warmupFailureCounts.record(v.id.model, v.id.version, 'generated');
    this.logger.warn(
      { model: v.id.model, version: v.id.version, warmup_source: 'generated', reason: failure },
      failure,
    );
  }

  /** Failed warm-ups since start, by model, version and source (metrics: inferd_warmup_failures_total). */
  warmupFailures(): WarmupFailureCount[] {
    return this.warmupFailureCounts.rows();
  }

  /** Drains a listed version and stops it; it stays in the index as unloaded. */
  private async retire(model: RegisteredModel, version: number): Promise<void> {
    const slot = model.versions.get(version);
    if (!slot || isRetired(slot)) return;
    if (slot.state !== 'READY') return void this.step(model, version, { type: 'retire' });
    const draining = this.step(model, version, { type: 'drain' });
    await this.close(slot.loaded);
    if (model.versions.get(version) === draining) this.step(model, version, { type: 'closed' });
  }

  /** Closes a version (its queue drains first) and says so. */
  private async close(v: ModelVersion): Promise<void> {
    await v.close();
    const { model, version, label } = v.id;
    this.options.onEvent?.({
      type: 'version_unloaded',
      model,
      version,
      message: `unloaded model '${model}' version ${label}`,
      evidence: {},
    });
  }

  /** The model by name, or NotFoundError. */
  model(name: string): RegisteredModel {
    const model = this.models.get(name);
    if (!model)
      throw new NotFoundError(
        `unknown model '${name.slice(0, 128)}'; POST /v2/repository/index lists the models`,
        'model_not_found',
      );
    return model;
  }

  /**
   * Builds each version's stages from its config when it loads (the inference core's stages; see
   * inference/stages/). Set before loading: versions loaded earlier keep the stages they were built with.
   */
  useStages(build: StageBuilder): void {
    this.stages = build;
  }

  private stages: StageBuilder | undefined;

  /** True when the registry holds the model (loaded now or before, or named at start). */
  knows(name: string): boolean {
    return this.models.has(name);
  }

  /** The version a request names, or the highest READY version. Throws NotFound / ModelNotReady with the reason. */
  resolve(name: string, version?: string): VersionSlot {
    const model = this.model(name);
    if (version !== undefined && version !== '') {
      const v = model.versions.get(parseVersion(version));
      if (!v) {
        const have = [...model.versions.keys()].join(', ') || 'none';
        throw new NotFoundError(
          `model '${name}' has no version ${version}; loaded versions: ${have}`,
          'version_not_found',
        );
      }
      return v;
    }
    const ready = this.readyVersions(model);
    if (ready.length) return model.versions.get(ready[ready.length - 1].id.version) as VersionSlot;
    const reasons =
      model.error ?? [...model.versions.values()].map((v) => `version ${v.id.label}: ${describe(v)}`).join('; ');
    throw new ModelNotReadyError(`model '${name}' is not ready: ${reasons || 'no versions loaded'}`);
  }

  /** A version ready to serve, or ModelNotReadyError saying why not. */
  resolveReady(name: string, version?: string): ModelVersion {
    const v = this.resolve(name, version);
    if (v.state !== 'READY') {
      const reason = slotReason(v);
      throw new ModelNotReadyError(
        `model '${name}' version ${v.id.label} is not ready: ${v.state}${reason ? `: ${reason}` : ''}`,
      );
    }
    return v.loaded;
  }

  /** A model's READY versions, lowest version first. */
  readyVersions(model: RegisteredModel): ModelVersion[] {
    return [...model.versions.values()]
      .flatMap((v) => (v.state === 'READY' ? [v.loaded] : []))
      .sort((a, b) => a.id.version - b.id.version);
  }

  /** Every model and version with its state; models in the repository that were never loaded are listed without one. */
  index(): IndexEntry[] {
    const names = new Set([...this.repository.modelNamesSync(), ...this.models.keys()]);
    return [...names].sort().flatMap((name) => this.indexOf(name));
  }

  /** The loaded models' entries (synchronous: no repository scan). */
  loadedIndex(): IndexEntry[] {
    return [...this.models.keys()].sort().flatMap((name) => this.indexOf(name));
  }

  private indexOf(name: string): IndexEntry[] {
    const m = this.models.get(name);
    if (!m) return [{ name, state: 'UNAVAILABLE', reason: 'not loaded' }];
    const out: IndexEntry[] = m.error ? [{ name, state: 'UNAVAILABLE', reason: m.error }] : [];
    const refused = m.refused && `serving the files verified before; a change was refused: ${m.refused}`;
    for (const v of [...m.versions.values()].sort((a, b) => a.id.version - b.id.version)) {
      const reason = slotReason(v) ?? (v.state === 'READY' ? refused : undefined);
      out.push({ name, version: v.id.version, state: v.state, ...(reason === undefined ? {} : { reason }) });
    }
    return out;
  }

  /**
   * Ready once initial loading (warm-up included) is done and (strict) every model meant to serve has a READY
   * version. A version refused or loading after start does not count while another serves: loading one model,
   * or failing to, never flips readiness. Lists the models that are not serving, and why.
   */
  readiness(strict: boolean): ModelReadiness {
    if (!this.loaded) return { ready: false, reasons: [{ reason: 'loading the models the server starts with' }] };
    if (!strict) return { ready: true, reasons: [] };
    const reasons = [...this.intended].sort().flatMap((name) => {
      const m = this.models.get(name);
      if (m && [...m.versions.values()].some((v) => v.state === 'READY')) return [];
      return [{ model: name, reason: this.notServing(m) }];
    });
    return { ready: reasons.length === 0, reasons };
  }

  /** True when readiness(strict) is. */
  isReady(strict: boolean): boolean {
    return this.readiness(strict).ready;
  }

  private notServing(m: RegisteredModel | undefined): string {
    if (!m) return 'not loaded';
    if (m.error) return m.error;
    const versions = [...m.versions.values()];
    if (versions.length === 0) return 'no version is loaded';
    return `no version is READY: ${versions.map((v) => `version ${v.id.label} ${describe(v)}`).join('; ')}`;
  }

  /** Drains every version's queue, then stops their instances. */
  async stop(): Promise<void> {
    await Promise.all([...this.models.values()].flatMap((m) => [...m.versions.keys()].map((v) => this.retire(m, v))));
  }
}

/**
 * Loads one model version: starts its instances (worker threads), completes its config from the artefact,
 * and gives it a scheduler.
 */
import { join } from 'node:path';
import { DEFAULT_INLINE_EXECUTION, type InlineExecutionDefaults, type ModelConfig } from '../config/index.js';
import { ModelLoadError } from '../errors/index.js';
import { detectRuntime, type ModelDefinition } from '../repository/model-repository.js';
import { WorkerRuntime } from '../runtimes/worker/worker-runtime.js';
import { existsSync } from 'node:fs';
import { ModelScheduler } from '../scheduler/model-scheduler.js';
import { readLabelFiles } from '../config/model-config-postprocess.js';
import { completeConfig } from './complete-config.js';
import { INTEGRITY_OFF, verifyVersionIntegrity, type IntegrityPolicy, type IntegrityReport } from './integrity.js';
import { treeNamesFromConfig } from './tree-names.js';
import { TrackedInstance, warmUp, type WarmupReport } from './warmup.js';
import { versionLabel } from '../config/version-label.js';
import { setUpInline } from './inline-setup.js';

export interface LoadedVersion {
  readonly config: ModelConfig;
  readonly scheduler: ModelScheduler;
  readonly warmup: WarmupReport;
  /** What the integrity check established (undefined when the policy is off). */
  readonly integrity?: IntegrityReport | undefined;
  /** Requests answered by an instance that had never run before: a cold model (0 when warm-up ran). */
  coldRuns(): number;
}

export interface LoadOptions {
  readonly integrity?: IntegrityPolicy | undefined;
  /**
   * Start the instances at a lowered priority so they do not slow the models already serving (default true).
   * False for the loads at start, when nothing serves yet: the server is ready sooner on a busy machine.
   */
  readonly lowerPriority?: boolean | undefined;
  /** The server's inline-execution defaults (default: on, 100 µs). */
  readonly inline?: InlineExecutionDefaults | undefined;
}

function locateArtefact(def: ModelDefinition, version: number) {
  const dir = join(def.dir, versionLabel(version));
  const declared = def.config.runtime;
  const file = def.config.defaultModelFilename; // normalised: a plain file name, present whenever the runtime is
  if (declared && file) {
    const path = join(dir, file);
    if (!existsSync(path))
      throw new ModelLoadError(`model '${def.name}' version ${version}: ${file} not found in ${dir}`);
    return { runtime: declared, path };
  }
  const found = detectRuntime(dir);
  if (!found) {
    throw new ModelLoadError(
      `model '${def.name}' version ${version}: no model file in ${dir} (expected model.onnx or model.json)`,
    );
  }
  return { runtime: found.runtime, path: join(dir, found.file) };
}

/**
 * Loads a version: checks its integrity, starts its instances and warms each of them before it is handed a
 * scheduler. Throws a ModelLoadError/ConfigError saying why not; instances are closed on failure.
 */
export async function loadVersion(
  def: ModelDefinition,
  version: number,
  options: LoadOptions = {},
): Promise<LoadedVersion> {
  const versionDir = join(def.dir, versionLabel(version));
  const label = `model '${def.name}' version ${version}`;
  const integrity = await verifyVersionIntegrity(
    versionDir,
    options.integrity ?? INTEGRITY_OFF,
    label,
    `${def.name}/${version}`,
  );
  const { runtime, path } = locateArtefact(def, version);
  const labels = await readLabelFiles(def.dir, def.config.labelFilenames, def.config.where);
  const load = {
    runtime,
    modelPath: path,
    ...def.config.onnx,
    names: runtime === 'xgboost' ? treeNamesFromConfig(def.config) : undefined,
  };
  const started = await Promise.allSettled(
    Array.from({ length: def.config.instanceCount }, () =>
      WorkerRuntime.load(load, { lowerPriority: options.lowerPriority ?? true }),
    ),
  );
  const instances = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const config = completeConfig({ declared: def.config, runtime, signature: instances[0].signature, labels });
    const tracked = instances.map((i) => new TrackedInstance(i));
    const warmup = await warmUp(tracked, versionDir, config, def.config.warmup, label);
    // A failed generated warm-up serves cold, but not on a worker that died running it: that one cannot serve at all.
    if (warmup.failure && instances.some((i) => !i.running))
      throw new ModelLoadError(`${label}: a model worker exited during warm-up: ${warmup.failure}`);
    for (const instance of instances) instance.serving(); // loaded and warmed at a lowered priority until now
    const coldRuns = () => tracked.reduce((n, t) => n + t.coldRuns, 0);
    const inline = await setUpInline({
      declared: def.config,
      config,
      defaults: options.inline ?? DEFAULT_INLINE_EXECUTION,
      warmup,
      versionDir,
      measureOn: instances[0],
      load,
    });
    const scheduler = new ModelScheduler(config, label, tracked, { inline });
    return { config, scheduler, warmup, integrity, coldRuns };
  } catch (err) {
    await Promise.all(instances.map((i) => i.close()));
    throw err;
  }
}

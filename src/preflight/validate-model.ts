/**
 * Pre-deploy validation of one model folder, for CI pipelines (`inferd validate MODEL_DIR`): its config parses,
 * each version chosen passes the integrity policy, loads through the registry and runtimes the server uses,
 * runs its warm-up requests, and answers its reference requests with the reference outputs.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InferenceService } from '../inference/inference-service.js';
import {
  featuresConfigProblem,
  integrityPolicy,
  sha256File,
  verifyModelIntegrity,
  verifyVersionIntegrity,
  type IntegrityMode,
  type IntegrityPolicy,
} from '../registry/integrity.js';
import { ModelRegistry } from '../registry/model-registry.js';
import { slotReason, type VersionSlot } from '../registry/version-slot.js';
import { isWarmupFailure } from '../registry/warmup.js';
import { assertValidModelName, FileModelRepository, type ModelDefinition } from '../repository/model-repository.js';
import { selectVersions } from '../repository/version-policy.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { checkReferenceOutputs } from './check-references.js';
import { openValidationFeatures } from './validation-features.js';
import { fail, pass, reportOf, skip, warn, type ValidationCheck, type ValidationReport } from './validation-report.js';
import { versionLabel } from '../config/version-label.js';

export interface ValidateOptions {
  /** The model folder: `<repository>/<model>` holding the config and numbered version folders. */
  readonly dir: string;
  /** Only this version; default: the versions the model's version_policy selects (what a server would load). */
  readonly version?: number | undefined;
  readonly integrity?: IntegrityMode;
  /** PEM files of trusted ed25519 public keys (integrity 'signed'). */
  readonly trustedKeys?: readonly string[];
  /** Features config for a feature-backed model; default: features.yaml in the model repository, when it exists. */
  readonly featuresConfig?: string | undefined;
  readonly logger?: Logger;
}

function configCheck(def: ModelDefinition): ValidationCheck {
  if (def.error) return fail('config', def.error);
  const source = def.config.source
    ? `${def.config.source} parses`
    : 'no config file: the signature comes from the artefact';
  return pass('config', `${source}; versions on disk: ${def.versions.join(', ')}`);
}

function chooseVersions(
  def: ModelDefinition,
  version: number | undefined,
): { versions: number[]; check: ValidationCheck } {
  if (version !== undefined) {
    if (!def.versions.includes(version))
      return {
        versions: [],
        check: fail(
          'versions',
          `version ${version} is not in ${def.dir} (versions on disk: ${def.versions.join(', ')})`,
        ),
      };
    return { versions: [version], check: pass('versions', `version ${version} (--version)`) };
  }
  const versions = selectVersions(def.versions, def.config.versionPolicy);
  if (!versions.length)
    return {
      versions,
      check: fail(
        'versions',
        `no version matches the model's version_policy (versions on disk: ${def.versions.join(', ')})`,
      ),
    };
  return { versions, check: pass('versions', `${versions.join(', ')}, as the model's version_policy selects`) };
}

async function integrityCheck(
  def: ModelDefinition,
  version: number,
  policy: IntegrityPolicy,
): Promise<ValidationCheck> {
  if (policy.mode === 'off')
    return skip(
      'integrity',
      `policy off: nothing checked (--integrity checksum or signed checks the manifest)`,
      version,
    );
  try {
    const r = await verifyVersionIntegrity(
      join(def.dir, versionLabel(version)),
      policy,
      `model '${def.name}' version ${version}`,
    );
    const signer = r?.keyIndex === undefined ? '' : `, signature verified with trusted key ${r.keyIndex + 1}`;
    return pass('integrity', `${policy.mode}: ${r?.files ?? 0} files match the manifest${signer}`, version);
  } catch (err) {
    return fail('integrity', (err as Error).message, version);
  }
}

/** The features config a feature-backed model reads (as the server finds it), or undefined. */
function featuresConfigPath(def: ModelDefinition, o: ValidateOptions): string | undefined {
  const path = o.featuresConfig ?? join(dirname(def.dir), 'features.yaml');
  return existsSync(path) ? path : undefined;
}

/** The model folder's own files (config, version policy, labels, features config) against its manifest. */
async function modelIntegrityCheck(
  def: ModelDefinition,
  policy: IntegrityPolicy,
  o: ValidateOptions,
): Promise<ValidationCheck> {
  try {
    const r = await verifyModelIntegrity(def.dir, def.name, policy);
    const features = featuresConfigPath(def, o);
    const problem = featuresConfigProblem(
      def.name,
      r,
      def.config.features !== undefined,
      features && (await sha256File(features)),
    );
    if (problem) return fail('integrity', problem);
    const signer = r?.keyIndex === undefined ? '' : `, signature verified with trusted key ${r.keyIndex + 1}`;
    return pass(
      'integrity',
      `${policy.mode}: model folder: ${r?.files ?? 0} file(s) match ${def.name}/manifest.json, no config file added${r?.featuresConfig ? ', features config matches' : ''}${signer}`,
    );
  } catch (err) {
    return fail('integrity', (err as Error).message);
  }
}

/** The load and warm-up checks of one version after the registry tried to load it. */
function loadChecks(slot: VersionSlot | undefined, version: number): ValidationCheck[] {
  if (slot?.state === 'READY') {
    const v = slot.loaded;
    const load = pass(
      'load',
      `${v.config.runtime} runtime, ${v.config.instanceCount} instance(s), ready in ${Math.round(v.loadMs)} ms`,
      version,
    );
    const w = v.warmup;
    if (w.source === 'disabled')
      return [load, skip('warm-up', 'disabled by the model config (warmup.enabled: false)', version)];
    if (w.failure) return [load, warn('warm-up', w.failure, version)];
    return [
      load,
      pass(
        'warm-up',
        `${w.requests} request(s) per instance (${w.source === 'file' ? 'warmup.json' : 'generated from the signature'}) in ${Math.round(w.ms)} ms`,
        version,
      ),
    ];
  }
  const reason = (slot && slotReason(slot)) ?? 'the version did not load';
  if (isWarmupFailure(reason))
    return [pass('load', 'the instances started', version), fail('warm-up', reason, version)];
  return [fail('load', reason, version), skip('warm-up', 'the version did not load', version)];
}

/** Loads the versions through a registry of their own and runs every later check; stops the workers after. */
async function loadAndRun(
  def: ModelDefinition,
  versions: readonly number[],
  policy: IntegrityPolicy,
  o: ValidateOptions,
): Promise<ValidationCheck[]> {
  const logger = o.logger ?? silentLogger();
  const features = featuresConfigPath(def, o);
  const featuresConfigSha256 = features && (await sha256File(features));
  const registry = new ModelRegistry(new FileModelRepository(dirname(def.dir)), logger, {
    integrity: policy,
    featuresConfigSha256,
  });
  const checks: ValidationCheck[] = [];
  let service: Awaited<ReturnType<typeof openValidationFeatures>>;
  try {
    service = def.config.features
      ? await openValidationFeatures(dirname(def.dir), o.featuresConfig, logger)
      : undefined;
  } catch (err) {
    return [
      fail(
        'config',
        `the features config the model's 'features:' mapping needs cannot be opened: ${(err as Error).message}`,
      ),
    ];
  }
  try {
    const inference = new InferenceService(registry, service); // before loading: versions get their stages
    await registry.load(def.name, undefined, versions).catch(() => undefined);
    for (const version of versions) {
      const v = registry.model(def.name).versions.get(version);
      const stages = loadChecks(v, version);
      checks.push(...stages);
      const ready = stages.every((c) => c.status !== 'fail');
      checks.push(
        ready
          ? await checkReferenceOutputs(inference, def.name, version, join(def.dir, versionLabel(version)))
          : skip('reference outputs', 'the version did not load', version),
      );
    }
  } finally {
    await registry.stop();
    await service?.stop();
  }
  return checks;
}

/** Validates a model folder. Never throws for a problem of the model: every problem is a failed check. */
export async function validateModel(o: ValidateOptions): Promise<ValidationReport> {
  const dir = resolve(o.dir);
  const name = basename(dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return reportOf(name, dir, [fail('config', `${o.dir} is not a folder: pass a model folder such as models/digits`)]);
  try {
    assertValidModelName(name);
  } catch (err) {
    return reportOf(name, dir, [
      fail('config', `the folder name is not a valid model name: ${(err as Error).message}`),
    ]);
  }
  const def = await new FileModelRepository(dirname(dir)).readModel(name);
  const checks = [configCheck(def)];
  let policy: IntegrityPolicy;
  try {
    policy = integrityPolicy(o.integrity ?? 'off', o.trustedKeys ?? []);
  } catch (err) {
    return reportOf(name, dir, [...checks, fail('integrity', (err as Error).message)]);
  }
  // The model folder's own files first: a config that was tampered with says so, whether it parses or not.
  const model = policy.mode === 'off' ? undefined : await modelIntegrityCheck(def, policy, o);
  if (model) checks.push(model);
  if (def.error) return reportOf(name, dir, checks);
  const chosen = chooseVersions(def, o.version);
  checks.push(chosen.check);
  const integrity = await Promise.all(chosen.versions.map((v) => integrityCheck(def, v, policy)));
  checks.push(...integrity);
  const loadable = model?.status === 'fail' ? [] : chosen.versions.filter((v, i) => integrity[i].status !== 'fail');
  for (const v of chosen.versions.filter((x) => !loadable.includes(x)))
    checks.push(skip('load', 'not loaded: the integrity check failed', v));
  if (loadable.length) checks.push(...(await loadAndRun(def, loadable, policy, o)));
  return reportOf(name, dir, checks);
}

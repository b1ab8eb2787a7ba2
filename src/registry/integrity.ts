/**
 * Artifact integrity. Everything a model's answers depend on is covered by a manifest — the sha256 digest of each
 * file — and, under `signed`, an ed25519 signature (base64, `manifest.sig`) over the manifest's exact bytes:
 *
 * - each version folder's `manifest.json` lists every file in that folder (the artefact, warmup.json,
 *   validation/*.json, profile.json, ...);
 * - the model folder's own `manifest.json` (scope "model") lists every file of the model folder outside its
 *   numbered version folders (config.yaml or config.pbtxt, which holds the version policy, label files, ...),
 *   names the config file names that were absent when it was made, and, for a model with a `features:` mapping,
 *   the sha256 of the features config (features.yaml) it reads. A file added later is refused as well as a file
 *   changed: the listing must be complete.
 *
 * The server's policy decides what is required before a model or version loads:
 *
 * - `off`: nothing is checked.
 * - `checksum`: the manifests must be present and every file must match them; a file not listed is refused too.
 * - `signed`: as checksum, and each signature must verify with one of the trusted public keys.
 *
 * `inferd sign` writes the manifests and signatures; `inferd keygen` makes a key pair.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ConfigError, ModelLoadError } from '../errors/index.js';
import { isVersionLabel } from '../config/version-label.js';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export type IntegrityMode = 'off' | 'checksum' | 'signed';

export interface IntegrityPolicy {
  readonly mode: IntegrityMode;
  /** ed25519 public keys; a signature verifying with any of them is trusted. */
  readonly trustedKeys: readonly KeyObject[];
}

export const INTEGRITY_OFF: IntegrityPolicy = Object.freeze({ mode: 'off', trustedKeys: [] });

/** What `manifest.json` holds: file paths relative to the version folder ('/'-separated) → sha256 hex. */
export interface Manifest {
  readonly algorithm: 'sha256';
  readonly files: Readonly<Record<string, string>>;
}

/** What a passed check established, for the load log and events. */
export interface IntegrityReport {
  readonly mode: IntegrityMode;
  readonly files: number;
  /** Index of the trusted key that verified the signature (signed mode). */
  readonly keyIndex?: number | undefined;
}

/** Reads trusted public keys from PEM files. Throws a ConfigError naming the file that is not an ed25519 public key. */
export function loadTrustedKeys(paths: readonly string[]): KeyObject[] {
  return paths.map((path) => {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(path));
    } catch (err) {
      throw new ConfigError(`trusted key ${path}: cannot read a PEM public key: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError(
        `trusted key ${path} is a ${key.asymmetricKeyType} key; inferd verifies ed25519 signatures ('inferd keygen' makes one)`,
      );
    }
    return key;
  });
}

/** Builds an integrity policy from config values (mode and key file paths). */
export function integrityPolicy(mode: IntegrityMode, keyPaths: readonly string[]): IntegrityPolicy {
  return { mode, trustedKeys: mode === 'signed' ? loadTrustedKeys(keyPaths) : [] };
}

/** sha256 of a file, streamed (a large model never sits in memory whole, and the event loop keeps turning). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 256 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Every file under a version folder except the manifest and its signature, as '/'-separated relative paths, sorted. */
export async function listVersionFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory()) // a symbolic link is read through: it must be listed as any file is
    .map((e) =>
      relative(dir, join(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join('/'),
    )
    .filter((f) => f !== MANIFEST_FILE && f !== SIGNATURE_FILE)
    .sort();
}

/** Computes the manifest of a version folder. */
export async function buildManifest(dir: string): Promise<Manifest> {
  const files: Record<string, string> = {};
  for (const file of await listVersionFiles(dir)) files[file] = await sha256File(join(dir, file));
  return { algorithm: 'sha256', files };
}

/** The manifest as written to disk (stable key order, trailing newline): the bytes the signature covers. */
export function manifestBytes(manifest: Manifest | ModelManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** Signs manifest bytes with an ed25519 private key (PEM); returns the base64 signature. */
export function signManifest(bytes: Buffer, privateKeyPem: string | Buffer): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new ConfigError(`the signing key is a ${key.asymmetricKeyType} key; use an ed25519 key ('inferd keygen')`);
  return sign(null, bytes, key).toString('base64');
}

/** A refusal by the integrity check: it depends only on the files, so the same files are refused again. */
export class IntegrityRefusal extends ModelLoadError {
  constructor(message: string) {
    super(message, { errorCode: 'integrity_refused' });
  }
}

function refuse(label: string, problem: string, fix: string): IntegrityRefusal {
  return new IntegrityRefusal(`integrity check failed for ${label}: ${problem}; ${fix}`);
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseManifest(bytes: Buffer, label: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw refuse(
      label,
      `${MANIFEST_FILE} is not valid JSON (${(err as Error).message})`,
      `regenerate it with 'inferd sign'`,
    );
  }
  const m = value as (Partial<Manifest> & { scope?: unknown }) | null;
  if (m?.scope !== undefined)
    throw refuse(
      label,
      `${MANIFEST_FILE} is a ${String(m.scope)} manifest, not a version folder's`,
      `regenerate it with 'inferd sign' on the model folder`,
    );
  const ok =
    m &&
    m.algorithm === 'sha256' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    Object.values(m.files).every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d));
  if (!ok)
    throw refuse(
      label,
      `${MANIFEST_FILE} must be {"algorithm": "sha256", "files": {"<path>": "<64 hex digits>"}}`,
      `regenerate it with 'inferd sign'`,
    );
  return m as Manifest;
}

function verifySignature(
  bytes: Buffer,
  signature: Buffer | undefined,
  keys: readonly KeyObject[],
  label: string,
): number {
  if (!signature)
    throw refuse(
      label,
      `${SIGNATURE_FILE} is missing and the integrity policy is 'signed'`,
      `sign the version with 'inferd sign --key KEY DIR'`,
    );
  const raw = Buffer.from(signature.toString('utf8').trim(), 'base64');
  const index = keys.findIndex((k) => verify(null, bytes, k, raw));
  if (index < 0) {
    throw refuse(
      label,
      `${SIGNATURE_FILE} does not verify with any of the ${keys.length} trusted key(s): the manifest was changed after signing or signed with another key`,
      `re-sign it with a trusted key or add the signer's public key to trusted_keys`,
    );
  }
  return index;
}

async function verifyDigests(dir: string, manifest: Manifest, label: string): Promise<number> {
  const present = await listVersionFiles(dir);
  const unlisted = present.filter((f) => !(f in manifest.files));
  if (unlisted.length)
    throw refuse(
      label,
      `${unlisted.join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} not in ${MANIFEST_FILE}`,
      `remove the file or re-sign the version`,
    );
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.includes(file))
      throw refuse(
        label,
        `${file} is listed in ${MANIFEST_FILE} but missing`,
        `restore the file or re-sign the version`,
      );
    let actual: string;
    try {
      actual = await sha256File(join(dir, file));
    } catch (err) {
      throw refuse(
        label,
        `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}; a link to nothing, or to a folder?)`,
        `restore the file or re-sign the version`,
      );
    }
    if (actual !== expected) {
      throw refuse(
        label,
        `${file} has sha256 ${actual.slice(0, 12)}… but ${MANIFEST_FILE} lists ${expected.slice(0, 12)}… (the file is corrupted or was changed)`,
        `restore the published file or re-sign the version`,
      );
    }
  }
  return present.length;
}

/**
 * Checks a version folder against the policy before anything in it is loaded. Resolves with what was checked
 * (undefined when the policy is off); rejects with a ModelLoadError saying what is wrong and how to fix it.
 */
export async function verifyVersionIntegrity(
  dir: string,
  policy: IntegrityPolicy,
  label: string,
  shown = 'DIR',
): Promise<IntegrityReport | undefined> {
  if (policy.mode === 'off') return undefined;
  const bytes = await readOptional(join(dir, MANIFEST_FILE));
  if (!bytes)
    throw refuse(
      label,
      `${MANIFEST_FILE} is missing and the integrity policy is '${policy.mode}'`,
      `write it with 'inferd sign${policy.mode === 'signed' ? ' --key KEY' : ''} ${shown}'`,
    );
  const keyIndex =
    policy.mode === 'signed'
      ? verifySignature(bytes, await readOptional(join(dir, SIGNATURE_FILE)), policy.trustedKeys, label)
      : undefined;
  const files = await verifyDigests(dir, parseManifest(bytes, label), label);
  return { mode: policy.mode, files, keyIndex };
}

// ---------------------------------------------------------------------------------------------------------------
// The model folder's manifest: what lies beside the version folders (config, version policy, labels, features).

/** The config file names the repository reads in a model folder: a manifest names those that were absent. */
export const MODEL_CONFIG_FILES: readonly string[] = ['config.yaml', 'config.pbtxt'];

/** What a model folder's `manifest.json` holds. */
export interface ModelManifest {
  readonly algorithm: 'sha256';
  readonly scope: 'model';
  /** The model's folder name: a manifest moved to another model folder does not verify. */
  readonly model: string;
  /** Every file in the model folder outside its numbered version folders ('/'-separated paths) → sha256 hex. */
  readonly files: Readonly<Record<string, string>>;
  /** Config file names that did not exist when the manifest was made; one appearing later is refused. */
  readonly absent: readonly string[];
  /** sha256 of the features config the model's `features:` mapping reads (only for such a model). */
  readonly features_config?: string;
}

/** What a passed model check established. */
export interface ModelIntegrityReport extends IntegrityReport {
  /** The features config digest the manifest names, if any. */
  readonly featuresConfig?: string | undefined;
}

/** Every file in a model folder outside its numbered version folders (and its own manifest), sorted. */
export async function listModelFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${e.name}` : e.name;
      if (!sub && (e.name === MANIFEST_FILE || e.name === SIGNATURE_FILE)) continue;
      if (e.isDirectory()) {
        if (!sub && isVersionLabel(e.name)) continue; // covered by the version folder's own manifest
        await walk(path);
      } else out.push(path); // a symbolic link too: the loader reads through it
    }
  };
  await walk('');
  return out.sort();
}

/** Computes a model folder's manifest. `featuresConfig` is the sha256 of the features config, for a model that reads one. */
export async function buildModelManifest(dir: string, model: string, featuresConfig?: string): Promise<ModelManifest> {
  const files: Record<string, string> = {};
  const listed = await listModelFiles(dir);
  for (const file of listed) files[file] = await sha256File(join(dir, file));
  const absent = MODEL_CONFIG_FILES.filter((f) => !listed.includes(f));
  return {
    algorithm: 'sha256',
    scope: 'model',
    model,
    files,
    absent,
    ...(featuresConfig ? { features_config: featuresConfig } : {}),
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

function parseModelManifest(bytes: Buffer, model: string, label: string, shown: string): ModelManifest {
  const fix = `re-run 'inferd sign' on the model folder ${model}`;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw refuse(label, `${shown} is not valid JSON (${(err as Error).message})`, fix);
  }
  const m = value as Partial<ModelManifest> | null;
  if (m?.scope !== 'model')
    throw refuse(
      label,
      `${shown} is not a model folder manifest (no "scope": "model"; an old format or a version folder's manifest)`,
      fix,
    );
  const ok =
    m.algorithm === 'sha256' &&
    typeof m.model === 'string' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    !Array.isArray(m.files) &&
    Object.values(m.files).every((d) => typeof d === 'string' && HEX64.test(d)) &&
    Array.isArray(m.absent) &&
    m.absent.every((f) => typeof f === 'string') &&
    (m.features_config === undefined || (typeof m.features_config === 'string' && HEX64.test(m.features_config)));
  if (!ok)
    throw refuse(label, `${shown} must be {"algorithm": "sha256", "scope": "model", "model", "files", "absent"}`, fix);
  if (m.model !== model)
    throw refuse(label, `${shown} was made for model '${m.model.slice(0, 64)}', not '${model}'`, fix);
  return m as ModelManifest;
}

async function verifyModelDigests(dir: string, manifest: ModelManifest, label: string, model: string): Promise<number> {
  const resign = `or re-sign the model folder ('inferd sign --key KEY ${model}')`;
  const present = await listModelFiles(dir);
  const appeared = manifest.absent.filter((f) => present.includes(f));
  if (appeared.length)
    throw refuse(
      label,
      `${appeared.map((f) => `${model}/${f}`).join(', ')} appeared after signing (the manifest says it was absent)`,
      `remove it ${resign}`,
    );
  const unlisted = present.filter((f) => !(f in manifest.files));
  if (unlisted.length)
    throw refuse(
      label,
      `${unlisted.map((f) => `${model}/${f}`).join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} not in ${model}/${MANIFEST_FILE} (added after signing)`,
      `remove it ${resign}`,
    );
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.includes(file))
      throw refuse(
        label,
        `${model}/${file} is listed in ${model}/${MANIFEST_FILE} but missing`,
        `restore the file ${resign}`,
      );
    let actual: string;
    try {
      actual = await sha256File(join(dir, file));
    } catch (err) {
      throw refuse(
        label,
        `${model}/${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}; a link to nothing, or to a folder?)`,
        `restore the file ${resign}`,
      );
    }
    if (actual !== expected) {
      throw refuse(
        label,
        `${model}/${file} has sha256 ${actual.slice(0, 12)}… but ${model}/${MANIFEST_FILE} lists ${expected.slice(0, 12)}… (the file was changed after signing)`,
        `restore the signed file ${resign}`,
      );
    }
  }
  return present.length;
}

/**
 * Checks a model folder's own files against its manifest before its config is used: the config (and so the
 * version policy), label files and anything else beside the version folders. Resolves with what was checked
 * (undefined when the policy is off); rejects with a ModelLoadError naming the file, relative to the repository.
 */
export async function verifyModelIntegrity(
  dir: string,
  model: string,
  policy: IntegrityPolicy,
): Promise<ModelIntegrityReport | undefined> {
  if (policy.mode === 'off') return undefined;
  const label = `model '${model}'`;
  const shown = `${model}/${MANIFEST_FILE}`;
  const bytes = await readOptional(join(dir, MANIFEST_FILE));
  if (!bytes) {
    throw refuse(
      label,
      `${shown} is missing and the integrity policy is '${policy.mode}': the model folder's config and label files must be signed as well as its versions (manifests made before this rule cover the version folders only)`,
      `re-run 'inferd sign${policy.mode === 'signed' ? ' --key KEY' : ''} ${model}' on the model folder`,
    );
  }
  let keyIndex: number | undefined;
  if (policy.mode === 'signed') {
    const signature = await readOptional(join(dir, SIGNATURE_FILE));
    if (!signature)
      throw refuse(
        label,
        `${model}/${SIGNATURE_FILE} is missing and the integrity policy is 'signed'`,
        `sign the model folder with 'inferd sign --key KEY ${model}'`,
      );
    try {
      keyIndex = verifySignature(bytes, signature, policy.trustedKeys, label);
    } catch {
      throw refuse(
        label,
        `${model}/${SIGNATURE_FILE} does not verify with any of the ${policy.trustedKeys.length} trusted key(s): ${shown} was changed after signing or signed with another key`,
        `re-sign the model folder with a trusted key or add the signer's public key to trusted_keys`,
      );
    }
  }
  const manifest = parseModelManifest(bytes, model, label, shown);
  const files = await verifyModelDigests(dir, manifest, label, model);
  return { mode: policy.mode, files, keyIndex, featuresConfig: manifest.features_config };
}

/**
 * A model with a `features:` mapping answers from the features config's views: the manifest must name the
 * digest of the one this server read. Returns the reason to refuse, or undefined.
 */
export function featuresConfigProblem(
  model: string,
  report: ModelIntegrityReport | undefined,
  usesFeatures: boolean,
  serverDigest: string | undefined,
): string | undefined {
  if (!report || !usesFeatures) return undefined;
  const fix = `sign the model folder again with the features config the server reads ('inferd sign --key KEY --features-config FILE ${model}')`;
  if (!report.featuresConfig)
    return `integrity check failed for model '${model}': its config has a features: mapping but ${model}/${MANIFEST_FILE} names no features config; ${fix}`;
  if (report.featuresConfig !== serverDigest) {
    const seen = serverDigest
      ? `the features config this server read (features.yaml or features_config) has sha256 ${serverDigest.slice(0, 12)}…`
      : 'this server has no features config';
    return `integrity check failed for model '${model}': ${model}/${MANIFEST_FILE} names features config sha256 ${report.featuresConfig.slice(0, 12)}… but ${seen} (it was changed after signing); ${fix}`;
  }
  return undefined;
}

/**
 * Artifact integrity. A version folder may carry `manifest.json` — the sha256 digest of every other file in it —
 * and `manifest.sig`, an ed25519 signature (base64) over the manifest's exact bytes. The server's policy decides
 * what is required before a version loads:
 *
 * - `off`: nothing is checked.
 * - `checksum`: the manifest must be present and every file must match it; a file not listed is refused too.
 * - `signed`: as checksum, and the signature must verify with one of the trusted public keys.
 *
 * `inferd sign` writes both files; `inferd keygen` makes a key pair.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ConfigError, ModelLoadError } from '../errors/index.js';

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
  readonly keyIndex?: number;
}

/** Reads trusted public keys from PEM files. Throws a ConfigError naming the file that is not an ed25519 public key. */
export function loadTrustedKeys(paths: readonly string[]): KeyObject[] {
  return paths.map((path) => {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(path));
    } catch (err) {
      throw new ConfigError(`trusted key ${path}: cannot read a PEM public key: ${(err as Error).message}`, { cause: err });
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new ConfigError(`trusted key ${path} is a ${key.asymmetricKeyType} key; inferd verifies ed25519 signatures ('inferd keygen' makes one)`);
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
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
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
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

/** Signs manifest bytes with an ed25519 private key (PEM); returns the base64 signature. */
export function signManifest(bytes: Buffer, privateKeyPem: string | Buffer): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`the signing key is a ${key.asymmetricKeyType} key; use an ed25519 key ('inferd keygen')`);
  return sign(null, bytes, key).toString('base64');
}

function refuse(label: string, problem: string, fix: string): ModelLoadError {
  return new ModelLoadError(`integrity check failed for ${label}: ${problem}; ${fix}`);
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
    throw refuse(label, `${MANIFEST_FILE} is not valid JSON (${(err as Error).message})`, `regenerate it with 'inferd sign'`);
  }
  const m = value as Partial<Manifest> | null;
  const ok = m && m.algorithm === 'sha256' && typeof m.files === 'object' && m.files !== null && Object.values(m.files).every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d));
  if (!ok) throw refuse(label, `${MANIFEST_FILE} must be {"algorithm": "sha256", "files": {"<path>": "<64 hex digits>"}}`, `regenerate it with 'inferd sign'`);
  return m as Manifest;
}

function verifySignature(bytes: Buffer, signature: Buffer | undefined, keys: readonly KeyObject[], label: string): number {
  if (!signature) throw refuse(label, `${SIGNATURE_FILE} is missing and the integrity policy is 'signed'`, `sign the version with 'inferd sign --key KEY DIR'`);
  const raw = Buffer.from(signature.toString('utf8').trim(), 'base64');
  const index = keys.findIndex((k) => verify(null, bytes, k, raw));
  if (index < 0) {
    throw refuse(label, `${SIGNATURE_FILE} does not verify with any of the ${keys.length} trusted key(s): the manifest was changed after signing or signed with another key`, `re-sign it with a trusted key or add the signer's public key to trusted_keys`);
  }
  return index;
}

async function verifyDigests(dir: string, manifest: Manifest, label: string): Promise<number> {
  const present = await listVersionFiles(dir);
  const unlisted = present.filter((f) => !(f in manifest.files));
  if (unlisted.length) throw refuse(label, `${unlisted.join(', ')} ${unlisted.length > 1 ? 'are' : 'is'} not in ${MANIFEST_FILE}`, `remove the file or re-sign the version`);
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.includes(file)) throw refuse(label, `${file} is listed in ${MANIFEST_FILE} but missing`, `restore the file or re-sign the version`);
    const actual = await sha256File(join(dir, file));
    if (actual !== expected) {
      throw refuse(label, `${file} has sha256 ${actual.slice(0, 12)}… but ${MANIFEST_FILE} lists ${expected.slice(0, 12)}… (the file is corrupted or was changed)`, `restore the published file or re-sign the version`);
    }
  }
  return present.length;
}

/**
 * Checks a version folder against the policy before anything in it is loaded. Resolves with what was checked
 * (undefined when the policy is off); rejects with a ModelLoadError saying what is wrong and how to fix it.
 */
export async function verifyVersionIntegrity(dir: string, policy: IntegrityPolicy, label: string): Promise<IntegrityReport | undefined> {
  if (policy.mode === 'off') return undefined;
  const bytes = await readOptional(join(dir, MANIFEST_FILE));
  if (!bytes) throw refuse(label, `${MANIFEST_FILE} is missing and the integrity policy is '${policy.mode}'`, `write it with 'inferd sign${policy.mode === 'signed' ? ' --key KEY' : ''} ${dir}'`);
  const keyIndex = policy.mode === 'signed' ? verifySignature(bytes, await readOptional(join(dir, SIGNATURE_FILE)), policy.trustedKeys, label) : undefined;
  const files = await verifyDigests(dir, parseManifest(bytes, label), label);
  return { mode: policy.mode, files, keyIndex };
}

/**
 * `inferd sign` writes the integrity manifests (and, with a key, their ed25519 signatures) of a model folder and
 * its version folders; `inferd keygen` makes the key pair. See registry/integrity.ts for what the server checks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isVersionLabel } from '../config/version-label.js';
import {
  buildManifest,
  buildModelManifest,
  MANIFEST_FILE,
  manifestBytes,
  sha256File,
  SIGNATURE_FILE,
  signManifest,
} from '../registry/integrity.js';
import { FileModelRepository } from '../repository/model-repository.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut } from './stdout.js';

export const SIGN_HELP = `Usage: inferd sign [--key PRIVATE_KEY.pem] [--features-config FILE] DIR...

Writes ${MANIFEST_FILE} (the sha256 of every file) and, with --key, ${SIGNATURE_FILE} (an ed25519 signature over
the manifest). DIR is a model folder (models/digits) or one version folder (models/digits/2).

A model folder gets two kinds of manifest: one in the model folder itself, covering every file beside the
version folders (config.yaml or config.pbtxt with its version policy, label files, ...), naming the config file
names that are absent, and, when the config has a features: mapping, the sha256 of the features config; and
one in each numbered version folder (model file, warmup.json, validation/, ...). Sign after the last change:
the server refuses a model or version whose files no longer match, or that has a file added since
(integrity: checksum or signed).

Options:
  --key FILE              ed25519 private key (PEM), as 'inferd keygen' writes it
  --features-config FILE  the features config the server reads (default: features.yaml in the repository)
  -h, --help              show this help
`;

export const KEYGEN_HELP = `Usage: inferd keygen [--out DIR] [--name NAME]

Writes an ed25519 key pair: NAME.key (private, PKCS#8 PEM, readable by you only) and NAME.pub (public, SPKI PEM).
Sign with the private key ('inferd sign --key NAME.key DIR'); give the server the public one (trusted_keys).

Options:
  --out DIR    folder to write to, created if missing (default: the current folder)
  --name NAME  file name stem (default: inferd-signing)
  -h, --help   show this help
`;

/** Model files a version folder holds; a folder holding one directly is a version folder. */
const ARTEFACT = /\.(onnx|ubj)$|^(model|xgboost)\.json$/;

/** What a DIR argument names: a model folder (it and its numbered version folders) or one version folder. */
function foldersOf(dir: string): { model?: string; versions: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(
      `${dir} is not a folder: give a model folder (models/digits) or a version folder (models/digits/2)`,
    );
  const versions = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && isVersionLabel(e.name));
  const looksLikeModel = versions.length > 0 && !readdirSync(dir).some((f) => ARTEFACT.test(f));
  return looksLikeModel ? { model: dir, versions: versions.map((e) => join(dir, e.name)) } : { versions: [dir] };
}

function writeSigned(dir: string, bytes: Buffer, privateKey: Buffer | undefined): void {
  writeFileSync(join(dir, MANIFEST_FILE), bytes);
  if (privateKey) writeFileSync(join(dir, SIGNATURE_FILE), `${signManifest(bytes, privateKey)}\n`);
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Writes the manifest (and signature) of one version folder; returns a line for the user. */
async function signFolder(dir: string, privateKey: Buffer | undefined): Promise<string> {
  const manifest = await buildManifest(dir);
  writeSigned(dir, manifestBytes(manifest), privateKey);
  return `${dir}: ${MANIFEST_FILE} (${plural(Object.keys(manifest.files).length, 'file')})${privateKey ? ` and ${SIGNATURE_FILE}` : ''}\n`;
}

/** The features config digest a model with a `features:` mapping must carry (the file the server will read). */
async function featuresDigest(
  dir: string,
  name: string,
  usesFeatures: boolean,
  featuresConfig: string | undefined,
): Promise<string | undefined> {
  if (!usesFeatures) return undefined;
  const path = featuresConfig ? resolve(featuresConfig) : join(dirname(dir), 'features.yaml');
  if (!existsSync(path)) {
    throw new UsageError(
      `model '${name}' has a features: mapping, so its signature covers the features config, but ${featuresConfig ?? join(dirname(dir), 'features.yaml')} does not exist; pass the file the server reads with --features-config FILE`,
    );
  }
  return sha256File(path);
}

/** Writes a model folder's own manifest (and signature); refuses a config that does not parse. */
async function signModelFolder(
  dir: string,
  privateKey: Buffer | undefined,
  featuresConfig: string | undefined,
): Promise<string> {
  const name = basename(dir);
  const def = await new FileModelRepository(dirname(dir)).readModel(name);
  if (def.error) throw new UsageError(`not signing model '${name}': ${def.error}; fix the config first`);
  const manifest = await buildModelManifest(
    dir,
    name,
    await featuresDigest(dir, name, def.config.features !== undefined, featuresConfig),
  );
  writeSigned(dir, manifestBytes(manifest), privateKey);
  const absent = manifest.absent.length ? `; absent: ${manifest.absent.join(', ')}` : '';
  const features = manifest.features_config ? '; features config' : '';
  return `${dir}: ${MANIFEST_FILE} (model folder: ${plural(Object.keys(manifest.files).length, 'file')}${absent}${features})${privateKey ? ` and ${SIGNATURE_FILE}` : ''}\n`;
}

function readKey(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(
      `cannot read --key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; 'inferd keygen' makes a key pair`,
    );
  }
}

/** `inferd sign`: resolves with the exit code. */
export async function signCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    options: { key: { type: 'string' }, 'features-config': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    (values.help ? process.stdout : process.stderr).write(SIGN_HELP);
    return values.help ? 0 : 2;
  }
  const key = values.key === undefined ? undefined : readKey(values.key);
  for (const { model, versions } of positionals.map((d) => foldersOf(resolve(d)))) {
    if (model) writeOut(await signModelFolder(model, key, values['features-config']));
    for (const dir of versions) writeOut(await signFolder(dir, key));
    if (!model && versions.length === 1 && !existsSync(join(dirname(versions[0]), MANIFEST_FILE))) {
      writeOut(
        `note: ${dirname(versions[0])} has no ${MANIFEST_FILE} of its own: sign the model folder too (its config and label files), or the server refuses the model\n`,
      );
    }
  }
  return 0;
}

/** `inferd keygen`: resolves with the exit code. Never overwrites a key. */
export async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: { out: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    writeOut(KEYGEN_HELP);
    return 0;
  }
  const dir = resolve(values.out ?? '.');
  const stem = join(dir, values.name ?? 'inferd-signing');
  const [priv, pub] = [`${stem}.key`, `${stem}.pub`];
  const existing = [priv, pub].filter((p) => existsSync(p));
  if (existing.length)
    throw new UsageError(
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; choose another --name or --out`,
    );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeOut(`wrote ${priv} (private: keep it secret) and ${pub} (public: add it to trusted_keys)\n`);
  return 0;
}

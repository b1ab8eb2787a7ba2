/**
 * `inferd sign` writes a version folder's integrity manifest (and, with a key, its ed25519 signature);
 * `inferd keygen` makes the key pair. See registry/integrity.ts for what the server checks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildManifest, MANIFEST_FILE, manifestBytes, SIGNATURE_FILE, signManifest } from '../registry/integrity.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut } from './stdout.js';

export const SIGN_HELP = `Usage: inferd sign [--key PRIVATE_KEY.pem] DIR...

Writes DIR/${MANIFEST_FILE}: the sha256 of every file in a model version folder. With --key, also writes
DIR/${SIGNATURE_FILE}: an ed25519 signature over the manifest. DIR is a version folder (models/digits/2) or a
model folder (every numbered version in it is signed). Sign after the last change to the folder: the server
refuses a version whose files no longer match (integrity: checksum or signed).

Options:
  --key FILE   ed25519 private key (PEM), as 'inferd keygen' writes it
  -h, --help   show this help
`;

export const KEYGEN_HELP = `Usage: inferd keygen [--out DIR] [--name NAME]

Writes an ed25519 key pair: NAME.key (private, PKCS#8 PEM, readable by you only) and NAME.pub (public, SPKI PEM).
Sign with the private key ('inferd sign --key NAME.key DIR'); give the server the public one (trusted_keys).

Options:
  --out DIR    folder to write to, created if missing (default: the current folder)
  --name NAME  file name stem (default: inferd-signing)
  -h, --help   show this help
`;

/** The version folders a DIR argument names: itself, or its numbered subfolders when it is a model folder. */
function versionFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder: give a version folder (models/digits/2) or a model folder (models/digits)`);
  const versions = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^[1-9]\d*$/.test(e.name));
  const looksLikeModel = versions.length > 0 && !readdirSync(dir).some((f) => /\.(onnx|json)$/.test(f) && f !== 'config.json');
  return looksLikeModel ? versions.map((e) => join(dir, e.name)) : [dir];
}

/** Writes the manifest (and signature) of one version folder; returns a line for the user. */
async function signFolder(dir: string, privateKey: Buffer | undefined): Promise<string> {
  const manifest = await buildManifest(dir);
  const bytes = manifestBytes(manifest);
  writeFileSync(join(dir, MANIFEST_FILE), bytes);
  if (privateKey) writeFileSync(join(dir, SIGNATURE_FILE), `${signManifest(bytes, privateKey)}\n`);
  const count = Object.keys(manifest.files).length;
  return `${dir}: ${MANIFEST_FILE} (${count} file${count === 1 ? '' : 's'})${privateKey ? ` and ${SIGNATURE_FILE}` : ''}\n`;
}

function readKey(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read --key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; 'inferd keygen' makes a key pair`);
  }
}

/** `inferd sign`: resolves with the exit code. */
export async function signCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: { key: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help || positionals.length === 0) {
    (values.help ? process.stdout : process.stderr).write(SIGN_HELP);
    return values.help ? 0 : 2;
  }
  const key = values.key === undefined ? undefined : readKey(values.key);
  for (const dir of positionals.flatMap((d) => versionFolders(resolve(d)))) writeOut(await signFolder(dir, key));
  return 0;
}

/** `inferd keygen`: resolves with the exit code. Never overwrites a key. */
export async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({ args, options: { out: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    writeOut(KEYGEN_HELP);
    return 0;
  }
  const dir = resolve(values.out ?? '.');
  const stem = join(dir, values.name ?? 'inferd-signing');
  const [priv, pub] = [`${stem}.key`, `${stem}.pub`];
  const existing = [priv, pub].filter((p) => existsSync(p));
  if (existing.length) throw new UsageError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; choose another --name or --out`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeOut(`wrote ${priv} (private: keep it secret) and ${pub} (public: add it to trusted_keys)\n`);
  return 0;
}

/**
 * Signing for the integrity tests, the way an operator does it: `inferd sign` on a model folder (its own files and
 * every version folder) or on one version folder, with a key written as `inferd keygen` writes it.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI_PATH } from '../helpers/server.js';

const run = promisify(execFile);

export interface KeyFiles {
  /** PKCS#8 PEM private key file, for `inferd sign --key`. */
  readonly privatePath: string;
  /** SPKI PEM public key file, for trusted_keys. */
  readonly publicPath: string;
}

/** Writes an ed25519 key pair `<dir>/<name>.key` and `<dir>/<name>.pub`. */
export function keyFiles(dir: string, name: string): KeyFiles {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privatePath, publicPath };
}

/** Runs `inferd sign --key KEY [extra...] DIR...`; resolves with its stdout, rejects with its stderr. */
export async function cliSign(key: KeyFiles, dirs: readonly string[], extra: readonly string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI_PATH, 'sign', '--key', key.privatePath, ...extra, ...dirs]);
  return stdout;
}

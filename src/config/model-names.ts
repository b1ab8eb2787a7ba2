/**
 * Model names and the file names a model config may give: both end up in paths under the model repository, so
 * neither may escape it (no '..', no separators, no NUL, no absolute paths). One pattern serves the repository,
 * the load/unload APIs (HTTP and gRPC), the `load_models` setting (`--load-model`) and config overrides.
 */
import { ConfigError, InvalidArgumentError } from '../errors/index.js';
import type { ModelConfigSource } from './model-config.js';

/** A model folder's name: letters, digits, '_', '-' and '.', starting with a letter or digit, at most 128 characters. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const NAME_RULE = "use letters, digits, '_', '-' and '.', starting with a letter or digit, at most 128 characters";

function shownName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
}

/** Throws INVALID_ARGUMENT (HTTP 400) unless `name` is a model folder's name. */
export function assertModelName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name))
    throw new InvalidArgumentError(`invalid model name ${shownName(name)}: ${NAME_RULE}`);
}

/** Why `file` is not a plain file name inside its folder, or undefined when it is. */
export function unsafeFileName(file: string): string | undefined {
  if (file === '' || file === '.' || file === '..') return 'it is not a file name';
  if (file.includes('\0')) return 'it contains a NUL character';
  if (file.includes('/') || file.includes('\\')) return 'it contains a path separator';
  if (/^[A-Za-z]:/.test(file)) return 'it is an absolute path';
  if (Buffer.byteLength(file) > 255) return 'it is longer than 255 bytes';
  return undefined;
}

/** Throws CONFIG_INVALID unless `file` (named `field` in `where`) is a plain file name inside the version folder. */
export function assertPlainFileName(file: string, field: string, where: string): void {
  const reason = unsafeFileName(file);
  if (reason)
    throw new ConfigError(
      `${where}: ${field} ${shownName(file)} must be a file name inside the version folder, but ${reason}`,
    );
}

/**
 * Checks a config sent with a load request (it replaces the model's config file): its `name`, when given, is the
 * model's, and its model file stays inside the version folder. Label files are checked where they are read.
 */
export function assertSafeConfigOverride(model: string, config: ModelConfigSource): void {
  const where = config.source ?? `load request for '${model}'`;
  if (config.name !== undefined && config.name !== model) {
    throw new ConfigError(
      `${where}: the config's name ${shownName(config.name)} is not the model being loaded ('${model}'); leave name out or use '${model}'`,
    );
  }
  if (config.defaultModelFilename !== undefined)
    assertPlainFileName(config.defaultModelFilename, 'default_model_filename', where);
}

/**
 * The start-up check of a model repository. inferd never creates the repository: a mistyped path must stop the
 * start, not serve nothing and report ready (a readiness probe would pass an empty server).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FileModelRepository } from './model-repository.js';
import { ModelRepositoryError } from './model-repository-error.js';

export interface ModelRepositoryCheck {
  /** The repository path as given (named in messages beside its absolute path). */
  readonly path: string;
  readonly modelControlMode: 'none' | 'explicit' | 'poll';
  /** Explicit and poll modes: a repository with no model folders may start (models are added or loaded later). */
  readonly allowEmpty: boolean;
}

const LAYOUT = '<model>/<version>/model.onnx, e.g. digits/1/model.onnx';

/**
 * Resolves with the repository's model folder names; rejects with a ModelRepositoryError when it is missing, not a
 * folder, unreadable, or empty without `allowEmpty` in a mode that can load models later.
 */
export async function checkModelRepository(check: ModelRepositoryCheck): Promise<string[]> {
  const root = resolve(check.path);
  const shown = check.path === root ? root : `'${check.path}' (${root})`;
  await assertFolder(root, shown);
  let names: string[];
  try {
    names = await new FileModelRepository(root).modelNames();
  } catch (err) {
    throw new ModelRepositoryError(
      'unreadable',
      root,
      `cannot read the model repository ${shown}: ${(err as Error).message}; make it readable by the user inferd runs as`,
      { cause: err },
    );
  }
  if (names.length === 0 && !(check.allowEmpty && check.modelControlMode !== 'none'))
    throw emptyError(check, root, shown);
  return names;
}

async function assertFolder(root: string, shown: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ModelRepositoryError(
        'unreadable',
        root,
        `cannot read the model repository ${shown}: ${(err as Error).message}; make it readable by the user inferd runs as`,
        { cause: err },
      );
    }
    throw new ModelRepositoryError(
      'missing',
      root,
      `the model repository ${shown} does not exist (inferd never creates it): check the path given to --model-repository (model_repository), or create the folder with one folder per model (${LAYOUT})`,
      { cause: err },
    );
  }
  if (!isFolder) {
    throw new ModelRepositoryError(
      'not_a_folder',
      root,
      `the model repository ${shown} is not a folder: give --model-repository (model_repository) the folder that holds the model folders (${LAYOUT})`,
    );
  }
}

function emptyError(check: ModelRepositoryCheck, root: string, shown: string): ModelRepositoryError {
  const what = `the model repository ${shown} has no model folders, so there is nothing to serve`;
  const fix = `check the path, or add a model folder (${LAYOUT})`;
  if (check.allowEmpty) {
    return new ModelRepositoryError(
      'empty',
      root,
      `${what}: --allow-empty-repository (allow_empty_repository) applies only with --model-control-mode explicit or poll, since in mode none every model loads at start and an empty start would never serve; ${fix}`,
    );
  }
  const later =
    check.modelControlMode === 'none'
      ? 'use --model-control-mode explicit (or poll) with --allow-empty-repository (allow_empty_repository: true)'
      : 'pass --allow-empty-repository (allow_empty_repository: true)';
  return new ModelRepositoryError('empty', root, `${what}: ${fix}; to start empty and load models later, ${later}`);
}

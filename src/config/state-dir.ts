/**
 * The state directory: where inferd keeps what it writes by itself (the rollout store, the SQLite prediction log),
 * so that nothing is ever written into the model repository, which is often a read-only volume.
 *
 * Set with `--state-dir DIR`, `INFERD_STATE_DIR` or `state_dir:` in the config file. Default, per the XDG base
 * directory specification: `$XDG_STATE_HOME/inferd/<repository>` (`~/.local/state/inferd/<repository>` when
 * XDG_STATE_HOME is unset), where `<repository>` is the repository folder's name and a hash of its absolute path:
 * two servers on two repositories never share rollouts, as when the store lived in each repository. A directory
 * given explicitly is used as it is (one server's state; containers set /var/lib/inferd).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';

/** Where the state directory came from. */
export type StateDirSource = 'configured' | 'default';

export interface StateDir {
  /** Absolute path. */
  readonly path: string;
  readonly source: StateDirSource;
}

/** `<name>-<8 hex of sha256(absolute path)>`: readable, and distinct for two repositories of the same name. */
export function repositoryKey(modelRepository: string): string {
  if (/^s3:\/\//i.test(modelRepository)) {
    // A store URL: named by its bucket and prefix, hashed as written (there is no path to resolve).
    const name = modelRepository.slice(5).replace(/[^A-Za-z0-9._-]/g, '_') || 'repository';
    return `${name.slice(0, 64)}-${createHash('sha256').update(modelRepository).digest('hex').slice(0, 8)}`;
  }
  let absolute = resolve(modelRepository);
  try {
    absolute = realpathSync(absolute);
  } catch {
    // Not there (yet): the start reports a missing repository before anything uses the key.
  }
  const name = basename(absolute).replace(/[^A-Za-z0-9._-]/g, '_') || 'repository';
  return `${name}-${createHash('sha256').update(absolute).digest('hex').slice(0, 8)}`;
}

/** The XDG state home: XDG_STATE_HOME when absolute (the specification ignores relative ones), else ~/.local/state. */
function stateHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return xdg;
  try {
    return join(homedir(), '.local', 'state');
  } catch {
    // No home directory (no HOME and no passwd entry): the working directory, which the start may find unwritable.
    return resolve('.local', 'state');
  }
}

/** The state directory for a configured value (absolute or relative to the working directory) or the default. */
export function resolveStateDir(
  configured: string | undefined,
  modelRepository: string,
  env: NodeJS.ProcessEnv = process.env,
): StateDir {
  if (configured !== undefined) return Object.freeze({ path: resolve(configured), source: 'configured' });
  return Object.freeze({
    path: join(stateHome(env), 'inferd', repositoryKey(modelRepository)),
    source: 'default',
  });
}

/**
 * Creates the state directory when missing and checks that it can be written. Returns undefined when it can, else
 * a sentence saying what failed, where, and what to do.
 */
export function prepareStateDir(dir: StateDir): string | undefined {
  try {
    mkdirSync(dir.path, { recursive: true });
    accessSync(dir.path, constants.W_OK);
    return undefined;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return (
      `the state directory ${dir.path} (${dir.source === 'default' ? 'the default' : 'state_dir'}) cannot be created or written (${reason}): ` +
      `make it writable, or choose another with --state-dir DIR, INFERD_STATE_DIR or state_dir in the config file`
    );
  }
}

/**
 * The `rollouts:` block of the server config: where rollout state (rollouts, their decisions, traffic policies
 * set through the API or by a rollout) is kept so it survives a restart.
 *
 * ```yaml
 * rollouts:
 *   store: sqlite                  # sqlite (embedded, default) | memory (lost on restart)
 *   path: /var/lib/inferd/rollouts.db   # default: <state_dir>/rollouts.db
 * ```
 *
 * The default lives in the state directory (state-dir.ts), never in the model repository, which may be read-only.
 * Earlier versions kept it at `<model_repository>/.inferd/rollouts.db`: when that file exists and the state
 * directory has no store yet, the start copies it over once (create-rollout-store.ts) and leaves it untouched.
 */
import { join } from 'node:path';
import { z } from 'zod';

export const rolloutStoreConfigSchema = z.strictObject({
  store: z.enum(['sqlite', 'memory']).default('sqlite'),
  /** SQLite database file (its folder is created). */
  path: z.string().min(1).optional(),
});

export type RolloutStoreConfigFile = z.input<typeof rolloutStoreConfigSchema>;

export interface RolloutStoreConfig {
  readonly store: 'sqlite' | 'memory';
  readonly path: string;
  /**
   * True when `path` is the default in the state directory: a state directory that cannot be written then means
   * rollouts are kept in memory, with a warning, instead of a failed start.
   */
  readonly defaultPath: boolean;
  /**
   * With the default path: the store of earlier versions, `<model_repository>/.inferd/rollouts.db`, copied to
   * `path` at start when it exists and `path` does not (the repository is only read).
   */
  readonly legacyPath?: string | undefined;
}

/** The store's file in the state directory, used when no path is configured. */
export function defaultRolloutStorePath(stateDir: string): string {
  return join(stateDir, 'rollouts.db');
}

/** Where earlier versions kept the store by default: inside the model repository. */
export function legacyRolloutStorePath(modelRepository: string): string {
  return join(modelRepository, '.inferd', 'rollouts.db');
}

/** The parsed `rollouts:` block as the server uses it. */
export function toRolloutStoreConfig(
  c: z.output<typeof rolloutStoreConfigSchema>,
  stateDir: string,
  modelRepository: string,
): RolloutStoreConfig {
  return Object.freeze({
    store: c.store,
    path: c.path ?? defaultRolloutStorePath(stateDir),
    defaultPath: c.path === undefined,
    legacyPath: c.path === undefined ? legacyRolloutStorePath(modelRepository) : undefined,
  });
}

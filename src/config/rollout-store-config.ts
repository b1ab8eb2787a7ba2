/**
 * The `rollouts:` block of the server config: where rollout state (rollouts, their decisions, traffic policies
 * set through the API or by a rollout) is kept so it survives a restart.
 *
 * ```yaml
 * rollouts:
 *   store: sqlite                  # sqlite (embedded, default) | memory (lost on restart)
 *   path: /var/lib/inferd/rollouts.db   # default: <model_repository>/.inferd/rollouts.db
 * ```
 *
 * The default lives in the model repository because rollouts name that repository's models and versions: two
 * servers on two repositories never see each other's rollouts.
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
   * True when `path` is the default in the model repository: a repository that cannot be written (a read-only
   * volume) then means rollouts are kept in memory, with a warning, instead of a failed start.
   */
  readonly defaultPath: boolean;
}

/** The file under the model repository used when no path is configured. */
export function defaultRolloutStorePath(modelRepository: string): string {
  return join(modelRepository, '.inferd', 'rollouts.db');
}

/** The parsed `rollouts:` block as the server uses it. */
export function toRolloutStoreConfig(
  c: z.output<typeof rolloutStoreConfigSchema>,
  modelRepository: string,
): RolloutStoreConfig {
  return Object.freeze({
    store: c.store,
    path: c.path ?? defaultRolloutStorePath(modelRepository),
    defaultPath: c.path === undefined,
  });
}

/**
 * The embedded rollout store a server config asks for: SQLite at `state.path`, or none (memory only). The shared
 * PostgreSQL store is opened by the composition root (src/state/postgres/, above routing).
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MemoryStateConfig, SqliteStateConfig } from '../config/state-config.js';
import type { Logger } from '../telemetry/logger.js';
import type { RolloutStore } from './rollout-store.js';
import { SqliteRolloutStore } from './sqlite/sqlite-rollout-store.js';

/**
 * Opens the configured store. A configured path that cannot be opened stops the start (ConfigError); the default
 * path in the state directory falling short (a read-only or missing volume) only warns: rollouts are then kept in
 * memory. A store left in the model repository by an earlier version is copied to the default path first.
 */
export function createRolloutStore(
  config: SqliteStateConfig | MemoryStateConfig | undefined,
  logger: Logger,
): RolloutStore | undefined {
  if (!config || config.store === 'memory') return undefined;
  if (config.defaultPath) adoptLegacyStore(config, logger);
  try {
    return SqliteRolloutStore.open(config.path);
  } catch (err) {
    if (!config.defaultPath) throw err;
    logger.warn(
      { rollout_store: config.path, reason: (err as Error).message },
      `rollout state is kept in memory only and will not survive a restart: the state directory ${dirname(config.path)} ` +
        'cannot be written. Make it writable, choose another with --state-dir (INFERD_STATE_DIR, state_dir), or set state.path',
    );
    return undefined;
  }
}

/**
 * Earlier versions kept the store at `<model_repository>/.inferd/rollouts.db`. When that file exists and the state
 * directory has none yet, it is copied there once (with its write-ahead log, when an unclean stop left one), so
 * rollouts and policies carry on; the repository is only read, and the old file is left for the operator to delete.
 */
function adoptLegacyStore(config: SqliteStateConfig, logger: Logger): void {
  const legacy = config.legacyPath;
  if (legacy === undefined || existsSync(config.path) || !existsSync(legacy)) return;
  try {
    mkdirSync(dirname(config.path), { recursive: true });
    // The WAL first: a reader that finds the main file finds its log beside it.
    if (existsSync(`${legacy}-wal`)) copyFileSync(`${legacy}-wal`, `${config.path}-wal`);
    copyFileSync(legacy, config.path);
    logger.info(
      { from: legacy, to: config.path },
      `rollout state copied from the model repository to the state directory; ${legacy} is no longer read or written and may be deleted`,
    );
  } catch (err) {
    logger.warn(
      { from: legacy, to: config.path, reason: (err as Error).message },
      `could not copy the rollout state of an earlier version from ${legacy}: copy it to ${config.path} by hand, or set state.path`,
    );
  }
}

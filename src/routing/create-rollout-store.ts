/**
 * The embedded rollout store a server config asks for: SQLite at `state.path`, or none (memory only). The shared
 * PostgreSQL store is opened by the composition root (src/state/postgres/, above routing).
 */
import type { MemoryStateConfig, SqliteStateConfig } from '../config/state-config.js';
import type { Logger } from '../telemetry/logger.js';
import type { RolloutStore } from './rollout-store.js';
import { SqliteRolloutStore } from './sqlite/sqlite-rollout-store.js';

/**
 * Opens the configured store. A configured path that cannot be opened stops the start (ConfigError); the default
 * path in the model repository falling short (a read-only volume) only warns: rollouts are then kept in memory.
 */
export function createRolloutStore(
  config: SqliteStateConfig | MemoryStateConfig | undefined,
  logger: Logger,
): RolloutStore | undefined {
  if (!config || config.store === 'memory') return undefined;
  try {
    return SqliteRolloutStore.open(config.path);
  } catch (err) {
    if (!config.defaultPath) throw err;
    logger.warn(
      { rollout_store: config.path, reason: (err as Error).message },
      'rollout state is kept in memory only and will not survive a restart: set state.path to a writable file',
    );
    return undefined;
  }
}

/**
 * The shared state store's tests on the test PostgreSQL (test/audit/postgres.ts): a schema of their own per test,
 * dropped after; an open PostgresState + PostgresRolloutStore on it.
 */
import { resolveServerConfig } from '../../src/index.js';
import type { PostgresStateConfig } from '../../src/config/state-config.js';
import { PostgresRolloutStore } from '../../src/state/postgres/postgres-rollout-store.js';
import { PostgresState } from '../../src/state/postgres/postgres-state.js';
import { silentLogger, type Logger } from '../../src/telemetry/logger.js';
import { PG_URL } from '../audit/postgres.js';

export { PG_URL, testPostgres, type TestPostgres } from '../audit/postgres.js';

/** The parsed `state:` config for `schema` on `url` (the test PostgreSQL by default). */
export function postgresStateConfig(schema: string, url = PG_URL, pollMs = 1000): PostgresStateConfig {
  const config = resolveServerConfig({ state: { store: 'postgres', url, schema, poll_ms: pollMs } }).state;
  if (config.store !== 'postgres') throw new Error('expected a postgres state config');
  return config;
}

/** A store with a state of its own; `close()` closes both. */
export async function openStateStore(
  schema: string,
  options: { url?: string; pollMs?: number; logger?: Logger; queueLimit?: number; notifications?: boolean } = {},
): Promise<PostgresRolloutStore & { readonly shared: PostgresState }> {
  const config = postgresStateConfig(schema, options.url, options.pollMs);
  const state = await PostgresState.open(config);
  const store = await PostgresRolloutStore.open({
    state,
    config: { ...config, queueLimit: options.queueLimit ?? config.queueLimit },
    logger: options.logger ?? silentLogger(),
    notifications: options.notifications,
  });
  const close = store.close.bind(store);
  return Object.assign(store, {
    shared: state,
    close: async () => {
      await close();
      await state.close();
    },
  });
}

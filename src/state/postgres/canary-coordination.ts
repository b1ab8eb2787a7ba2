/**
 * The canary analysis for several replicas over PostgreSQL: a leader elected by advisory lock (leadership.ts), a
 * verdict ledger written conditionally on the leader's session (verdict-ledger.ts), and every replica's evidence
 * shared and summed (evidence-store.ts, routing/canary-exchange.ts). Given to the TrafficManager as its
 * `coordination` when `state.store` is postgres.
 */
import type pg from 'pg';
import type { CanaryCoordination } from '../../routing/canary-coordination.js';
import { EvidenceExchange } from '../../routing/canary-exchange.js';
import type { Logger } from '../../telemetry/logger.js';
import { createCanaryTables } from './canary-tables.js';
import { PostgresEvidenceStore } from './evidence-store.js';
import { PostgresLeadership } from './leadership.js';
import { PostgresVerdictLedger } from './verdict-ledger.js';

export interface CanaryCoordinationOptions {
  readonly logger: Logger;
  /** How often a non-leader tries for the lock and the leader checks its session (default 1,000 ms). */
  readonly retryMs?: number | undefined;
  /** Idle time after which the server ends a leadership session (default 5,000 ms); see leadership.ts. */
  readonly sessionTimeoutMs?: number | undefined;
  /** How often evidence is written and, by the leader, read (default 1,000 ms). */
  readonly exchangeMs?: number | undefined;
  /** Settings of the dedicated leadership session (default: the pool's). */
  readonly connection?: pg.ClientConfig | undefined;
  /** false: leadership is not tried for until `leadership.start()` (tests drive rounds by hand). Default true. */
  readonly start?: boolean | undefined;
}

export interface PostgresCanaryCoordination extends CanaryCoordination {
  readonly leadership: PostgresLeadership;
  readonly ledger: PostgresVerdictLedger;
  readonly evidence: EvidenceExchange;
}

/**
 * Creates the tables if missing and starts trying for the lead. `replica` names this process (unique per
 * process: a restarted replica's earlier evidence stays counted under its old name). Closing it steps down; the
 * pool stays open (its owner ends it).
 */
export async function createCanaryCoordination(
  pool: pg.Pool,
  schema: string,
  replica: string,
  options: CanaryCoordinationOptions,
): Promise<PostgresCanaryCoordination> {
  await createCanaryTables(pool, schema);
  const leadership = new PostgresLeadership({
    connection: options.connection ?? (pool as pg.Pool & { options: pg.ClientConfig }).options,
    schema,
    replica,
    logger: options.logger,
    retryMs: options.retryMs,
    sessionTimeoutMs: options.sessionTimeoutMs,
  });
  const ledger = new PostgresVerdictLedger({ pool, schema, replica, leadership });
  const evidence = new EvidenceExchange({
    store: new PostgresEvidenceStore(pool, schema),
    replica,
    leadership,
    logger: options.logger,
    intervalMs: options.exchangeMs,
  });
  if (options.start ?? true) leadership.start();
  return {
    replica,
    leadership,
    ledger,
    evidence,
    async close() {
      evidence.stop();
      await leadership.close();
    },
  };
}

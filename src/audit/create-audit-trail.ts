/**
 * Builds the audit trail a config asks for: the store (SQLite file or PostgreSQL) and the writer in front of it.
 */
import { resolve } from 'node:path';
import type { AuditConfig } from '../config/audit-config.js';
import type { AuditMetrics } from '../telemetry/audit-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditSink } from './audit-sink.js';
import { AuditTrail } from './audit-trail.js';

/** The store named by `config.store`; its client (pg, better-sqlite3) is loaded only when it is the one named. */
export async function createAuditSink(config: AuditConfig): Promise<AuditSink> {
  if (config.store === 'postgres') {
    const { PostgresAuditSink } = await import('./postgres/postgres-audit-sink.js');
    return new PostgresAuditSink({ url: config.url!, schema: config.postgresSchema, durability: config.durability });
  }
  const { SqliteAuditSink } = await import('./sqlite/sqlite-audit-sink.js');
  return new SqliteAuditSink(config.path === ':memory:' ? config.path : resolve(config.path), config.durability);
}

/** An audit trail over the configured store, not yet started. */
export async function createAuditTrail(
  config: AuditConfig,
  deps: { readonly metrics: AuditMetrics; readonly logger: Logger },
): Promise<AuditTrail> {
  return new AuditTrail({ config, sink: await createAuditSink(config), metrics: deps.metrics, logger: deps.logger });
}

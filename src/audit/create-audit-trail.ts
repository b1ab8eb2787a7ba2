/**
 * Builds the audit trail a config asks for: the store (SQLite file or PostgreSQL) and the writer in front of it.
 */
import { resolve } from 'node:path';
import type { AuditConfig } from '../config/audit-config.js';
import type { AuditMetrics } from '../telemetry/audit-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditSink } from './audit-sink.js';
import { AuditTrail } from './audit-trail.js';
import { PostgresAuditSink } from './postgres/postgres-audit-sink.js';
import { SqliteAuditSink } from './sqlite/sqlite-audit-sink.js';

/** The store named by `config.store`. */
export function createAuditSink(config: AuditConfig): AuditSink {
  if (config.store === 'postgres') {
    return new PostgresAuditSink({ url: config.url!, schema: config.postgresSchema, durability: config.durability });
  }
  return new SqliteAuditSink(config.path === ':memory:' ? config.path : resolve(config.path), config.durability);
}

/** An audit trail over the configured store, not yet started. */
export function createAuditTrail(
  config: AuditConfig,
  deps: { readonly metrics: AuditMetrics; readonly logger: Logger },
): AuditTrail {
  return new AuditTrail({ config, sink: createAuditSink(config), metrics: deps.metrics, logger: deps.logger });
}

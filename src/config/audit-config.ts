/**
 * The `audit:` block of the server config: the prediction log (audit trail). Parsed once into a frozen
 * AuditConfig; see README.md, "Audit trail".
 *
 * ```yaml
 * audit:
 *   enabled: true
 *   store: sqlite                  # sqlite (embedded, default) | postgres
 *   path: /var/lib/inferd/audit.db # sqlite: the database file (its folder is created); default <state_dir>/audit.db
 *   url: postgres://127.0.0.1:5432/inferd   # postgres: the connection URL
 *   sample_rate: 1                 # fraction of predictions recorded
 *   buffer_size: 10000             # records waiting to be written
 *   overflow: drop                 # drop (counted) | backpressure (requests wait, then 503)
 *   durability: async              # async | acknowledged (answer only once the record is committed)
 *   retention_days: 30             # 0: keep forever
 *   redact: [inputs.ssn, parameters.api_key]
 *   max_elements: 1024             # per tensor; longer tensors are truncated with a note
 *   health_probe_ms: 5000          # acknowledged/backpressure: probe the store this often; readiness follows
 * ```
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { StateDir } from './state-dir.js';

/** `inputs.<tensor>`, `outputs.<tensor>` or `parameters.<name>`. */
export const REDACT_PATH = /^(inputs|outputs|parameters)\.[^.\s]+$/;

export const auditConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    store: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** SQLite database file. Default: `audit.db` in the state directory (state-dir.ts). */
    path: z.string().min(1).optional(),
    /** PostgreSQL connection URL (store: postgres). */
    url: z.string().min(1).optional(),
    /** PostgreSQL schema holding the `predictions` table (created when missing). */
    postgres_schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain SQL identifier (letters, digits, _)')
      .default('public'),
    sample_rate: z.number().min(0).max(1).default(1),
    buffer_size: z.number().int().min(1).default(10_000),
    overflow: z.enum(['drop', 'backpressure']).default('drop'),
    /** Backpressure: how long a request waits for room in the buffer before it is refused with 503. */
    backpressure_wait_ms: z.number().int().min(0).default(1000),
    durability: z.enum(['async', 'acknowledged']).default('async'),
    retention_days: z.number().min(0).default(30),
    redact: z
      .array(
        z
          .string()
          .regex(
            REDACT_PATH,
            'a field path: inputs.<tensor name>, outputs.<tensor name> or parameters.<parameter name>',
          ),
      )
      .default([]),
    max_elements: z.number().int().min(0).default(1024),
    /** With acknowledged durability or backpressure: how often the store is probed for readiness, in ms. */
    health_probe_ms: z.number().int().min(10).default(5000),
  })
  .refine((a) => a.store !== 'postgres' || a.url !== undefined, {
    message:
      'audit.store is postgres but audit.url is missing: set it to a connection URL, e.g. postgres://user@127.0.0.1:5432/inferd',
    path: ['url'],
  });

export type AuditConfigFile = z.input<typeof auditConfigSchema>;

export interface AuditConfig {
  readonly enabled: boolean;
  readonly store: 'sqlite' | 'postgres';
  readonly path: string;
  /**
   * Where `path` came from: configured (audit.path), the state directory (the default), or `legacy`: the default
   * of earlier versions, `data/audit.db` in the working directory, kept while it exists, the state directory is
   * the default one and holds no log (the start says how to move it). Absent: configured.
   */
  readonly pathSource?: AuditPathSource;
  readonly url: string | undefined;
  readonly postgresSchema: string;
  /** Fraction of predictions recorded, 0..1. */
  readonly sampleRate: number;
  /** Records waiting to be written before the overflow policy applies. */
  readonly bufferSize: number;
  /** drop: count and discard records that do not fit; backpressure: new requests wait for room, then get 503. */
  readonly overflow: 'drop' | 'backpressure';
  readonly backpressureWaitMs: number;
  /** acknowledged: a sampled request is answered only once its record is committed (implies backpressure). */
  readonly durability: 'async' | 'acknowledged';
  /** Records older than this are deleted (0: never). */
  readonly retentionDays: number;
  readonly redact: readonly string[];
  /** Elements kept per tensor; the rest is cut and the record says so. */
  readonly maxElements: number;
  /** How often the store is probed (a one-row commit) when requests depend on it; readiness follows. */
  readonly healthProbeMs?: number;
}

export type AuditPathSource = 'configured' | 'state_dir' | 'legacy';

/** The SQLite prediction log's default before the state directory, relative to the working directory. */
export const LEGACY_AUDIT_PATH = join('data', 'audit.db');

/**
 * The SQLite file: audit.path, else `<stateDir>/audit.db`, except that with the default state directory an
 * existing log of an earlier version (data/audit.db) stays in use while the state directory has none. A state
 * directory set on purpose is a new place: it is used as it is.
 */
function auditPath(configured: string | undefined, stateDir: StateDir): { path: string; source: AuditPathSource } {
  if (configured !== undefined) return { path: configured, source: 'configured' };
  const inStateDir = join(stateDir.path, 'audit.db');
  if (stateDir.source === 'default' && !existsSync(inStateDir) && existsSync(resolve(LEGACY_AUDIT_PATH)))
    return { path: LEGACY_AUDIT_PATH, source: 'legacy' };
  return { path: inStateDir, source: 'state_dir' };
}

/** The parsed `audit:` block as the server uses it; `stateDir` holds the SQLite log unless audit.path names one. */
export function toAuditConfig(a: z.output<typeof auditConfigSchema>, stateDir: StateDir): AuditConfig {
  const { path, source } = auditPath(a.path, stateDir);
  return Object.freeze({
    enabled: a.enabled,
    store: a.store,
    path,
    pathSource: source,
    url: a.url,
    postgresSchema: a.postgres_schema,
    sampleRate: a.sample_rate,
    bufferSize: a.buffer_size,
    overflow: a.overflow,
    backpressureWaitMs: a.backpressure_wait_ms,
    durability: a.durability,
    retentionDays: a.retention_days,
    redact: Object.freeze([...a.redact]),
    maxElements: a.max_elements,
    healthProbeMs: a.health_probe_ms,
  });
}

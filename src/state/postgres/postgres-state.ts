/**
 * The shared state database: one node-postgres pool for every part of the control state kept in PostgreSQL
 * (rollouts, traffic policies and events; the canary leader and the evidence replicas contribute), the schema
 * holding their tables, and this process's origin id, written beside every change so a replica knows its own
 * changes when the change feed brings them back.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PostgresStateConfig } from '../../config/state-config.js';
import { ConfigError } from '../../errors/index.js';
import { survivePoolErrors } from '../../lib/pg-pool-errors.js';

export class PostgresState {
  /** This process's id: the `origin` of the changes it writes. */
  readonly instanceId = randomUUID();
  private closed = false;

  private constructor(
    /** The shared pool (a few connections). Take a client of your own for session state (advisory locks, LISTEN). */
    readonly pool: pg.Pool,
    private readonly config: PostgresStateConfig,
  ) {}

  /** Connects and creates the schema when missing. Throws a ConfigError saying what to check. */
  static async open(config: PostgresStateConfig): Promise<PostgresState> {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: 4,
      connectionTimeoutMillis: 3000,
      query_timeout: 10_000,
      keepAlive: true,
      application_name: 'inferd',
    });
    survivePoolErrors(pool);
    const state = new PostgresState(pool, config);
    try {
      await state.ddl(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
    } catch (err) {
      await pool.end();
      throw new ConfigError(
        `cannot open the state store ${config.location}: ${(err as Error).message}; check state.url, that PostgreSQL is up, and that the user may create the schema (or create it beforehand)`,
        { cause: err },
      );
    }
    return state;
  }

  /** The connection URL with its credentials: for connections of your own, never for logs. */
  get url(): string {
    return this.config.url;
  }

  get schema(): string {
    return this.config.schema;
  }

  /** The URL without its password and the schema, for logs and messages. */
  get location(): string {
    return this.config.location;
  }

  /** A table of the schema, quoted for SQL: `"schema".name`. */
  table(name: string): string {
    return `"${this.config.schema}".${name}`;
  }

  /**
   * Runs DDL under a transaction-scoped advisory lock on the schema: replicas starting together would otherwise
   * race on `CREATE ... IF NOT EXISTS` (it is not atomic against a concurrent create).
   */
  async ddl(sql: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inferd_state_ddl:${this.config.schema}`]);
      await client.query(sql);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

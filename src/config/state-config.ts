/**
 * The `state:` block of the server config: where the control state (rollouts and their decisions, traffic
 * policies set through the API or by a rollout, the event log) is kept so it survives a restart and, with
 * PostgreSQL, is shared by every replica.
 *
 * ```yaml
 * state:
 *   store: postgres                # sqlite (embedded, default: one process) | postgres (several replicas) | memory
 *   url: postgres://inferd@db:5432/inferd   # postgres: connection URL (env INFERD_STATE_URL)
 *   schema: inferd                 # postgres: schema of the tables (created when missing)
 *   path: /var/lib/inferd/state.db # sqlite: the database file; default <state_dir>/rollouts.db
 *   poll_ms: 1000                  # postgres: backstop poll of the change feed (LISTEN/NOTIFY does the rest)
 *   queue_limit: 10000             # postgres: changes queued, in order, while the database is unreachable
 *   leader_retry_ms: 1000          # postgres: a non-leader tries for the canary lead, the leader checks its session
 *   leader_session_timeout_ms: 5000  # postgres: idle time after which the database ends a hung leader's session
 *   evidence_interval_ms: 1000     # postgres: how often canary evidence is written and, by the leader, read
 * ```
 *
 * `rollouts:` is the older name of this block (store sqlite or memory, path) and is still read; a config may not
 * set both. The SQLite default lives in the state directory (state-dir.ts), never in the model repository, which may
 * be read-only; the default state directory is one per repository, so two servers on two repositories never see
 * each other's rollouts. Earlier versions kept it at `<model_repository>/.inferd/rollouts.db`: when that file
 * exists and the state directory has no store yet, the start copies it over once (routing/create-rollout-store.ts).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { redactUrl } from '../lib/redact-url.js';
import { PARSE_ONCE } from './parse-once.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const stateConfigSchema = z.strictObject({
  store: z.enum(['sqlite', 'postgres', 'memory']).default('sqlite'),
  /** SQLite database file (its folder is created). */
  path: z.string().min(1).optional(),
  /** PostgreSQL connection URL. */
  url: z.string().min(1).optional(),
  /** PostgreSQL schema holding the state tables (created when missing). */
  schema: z.string().regex(IDENTIFIER, 'a plain SQL identifier (letters, digits, _; at most 63)').default('inferd'),
  /** How often each replica looks for changes it was not notified of, in ms. */
  poll_ms: z.number().int().min(50).max(60_000).default(1000),
  /** Changes kept in order while PostgreSQL is unreachable; beyond it the API refuses changes with 503. */
  queue_limit: z.number().int().min(1).max(1_000_000).default(10_000),
  /** How often a replica that does not lead the canary analysis tries for the lead, and the leader checks its session. */
  leader_retry_ms: z.number().int().min(100).max(60_000).default(1000),
  /**
   * Idle time after which PostgreSQL ends a leadership session that ran no query (a hung or cut-off leader): the
   * lead passes within this plus one retry. At least three retries (checked in toStateConfig).
   */
  leader_session_timeout_ms: z.number().int().min(1000).max(600_000).default(5000),
  /** How often each replica writes its canary evidence and the leader reads the sum. */
  evidence_interval_ms: z.number().int().min(50).max(60_000).default(1000),
});

/** The older `rollouts:` block: the same store, sqlite or memory only. */
export const rolloutStoreConfigSchema = z.strictObject({
  store: z.enum(['sqlite', 'memory']).default('sqlite'),
  path: z.string().min(1).optional(),
});

export type StateConfigFile = z.input<typeof stateConfigSchema>;
export type RolloutStoreConfigFile = z.input<typeof rolloutStoreConfigSchema>;

export interface SqliteStateConfig {
  readonly store: 'sqlite';
  readonly path: string;
  /**
   * True when `path` is the default in the state directory: a state directory that cannot be written then means
   * the state is kept in memory, with a warning, instead of a failed start.
   */
  readonly defaultPath: boolean;
  /**
   * With the default path: the store of earlier versions, `<model_repository>/.inferd/rollouts.db`, copied to
   * `path` at start when it exists and `path` does not (the repository is only read).
   */
  readonly legacyPath?: string | undefined;
}

export interface MemoryStateConfig {
  readonly store: 'memory';
}

export interface PostgresStateConfig {
  readonly store: 'postgres';
  /** The connection URL, credentials included: never log it (use `location`). */
  readonly url: string;
  readonly schema: string;
  /** The URL without its password, and the schema: for logs and messages. */
  readonly location: string;
  readonly pollMs: number;
  readonly queueLimit: number;
  /**
   * The SQLite file in the state directory where changes queued while the database is away are kept until written
   * (`<state_dir>/pending-state-changes.db`): a replica killed meanwhile writes them at its next start.
   */
  readonly journalPath: string;
  /** Canary leadership: how often the lock is tried for and the leader's session checked. */
  readonly leaderRetryMs: number;
  /** Canary leadership: idle time after which the database ends the leader's session. */
  readonly leaderSessionTimeoutMs: number;
  /** How often canary evidence is exchanged between replicas. */
  readonly evidenceIntervalMs: number;
}

export type StateConfig = SqliteStateConfig | MemoryStateConfig | PostgresStateConfig;

/** The SQLite file in the state directory used when no path is configured. */
export function defaultStatePath(stateDir: string): string {
  return join(stateDir, 'rollouts.db');
}

/** Where earlier versions kept the SQLite store by default: inside the model repository. */
export function legacyStatePath(modelRepository: string): string {
  return join(modelRepository, '.inferd', 'rollouts.db');
}

/**
 * The `state:` block (or the older `rollouts:` block) as the server uses it. Throws a ConfigError naming the
 * setting that is wrong and what to set instead.
 */
export function toStateConfig(
  state: z.output<typeof stateConfigSchema> | undefined,
  rollouts: z.output<typeof rolloutStoreConfigSchema> | undefined,
  stateDir: string,
  modelRepository: string,
): StateConfig {
  if (state && rollouts)
    throw new ConfigError(
      'both state: and rollouts: are set; rollouts: is the older name of state: (store, path): move its settings under state: and remove rollouts:',
    );
  const c = state ?? stateConfigSchema.parse(rollouts ?? {}, PARSE_ONCE);
  const misplaced = (key: string, belongs: string) =>
    new ConfigError(
      `state.${key} is set but state.store is ${c.store}: ${key} is a ${belongs} setting; set state.store: ${belongs} to use it, or remove state.${key}`,
    );
  if (c.store === 'memory') return Object.freeze({ store: 'memory' });
  if (c.store === 'sqlite') {
    if (c.url !== undefined) throw misplaced('url', 'postgres');
    return Object.freeze({
      store: 'sqlite',
      path: c.path ?? defaultStatePath(stateDir),
      defaultPath: c.path === undefined,
      legacyPath: c.path === undefined ? legacyStatePath(modelRepository) : undefined,
    });
  }
  if (c.path !== undefined) throw misplaced('path', 'sqlite');
  if (c.url === undefined)
    throw new ConfigError(
      'state.store is postgres but state.url is missing: set it (or INFERD_STATE_URL) to a connection URL, e.g. postgres://inferd@db:5432/inferd',
    );
  let protocol: string;
  try {
    protocol = new URL(c.url).protocol;
  } catch {
    throw new ConfigError(
      'state.url is not a URL: write it as postgres://user[:password]@host[:port]/database (the value is not shown: it may hold a password)',
    );
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    throw new ConfigError(
      `state.url must be a postgres:// or postgresql:// URL, got ${redactUrl(c.url)}; e.g. postgres://inferd@db:5432/inferd`,
    );
  if (c.leader_session_timeout_ms < 3 * c.leader_retry_ms)
    throw new ConfigError(
      `state.leader_session_timeout_ms (${c.leader_session_timeout_ms}) is less than three times state.leader_retry_ms (${c.leader_retry_ms}): the leader's own checks would not keep its session alive through one failed check; raise state.leader_session_timeout_ms to at least ${3 * c.leader_retry_ms} or lower state.leader_retry_ms`,
    );
  return Object.freeze({
    store: 'postgres',
    url: c.url,
    schema: c.schema,
    location: `${redactUrl(c.url)} (schema ${c.schema})`,
    pollMs: c.poll_ms,
    queueLimit: c.queue_limit,
    journalPath: join(stateDir, 'pending-state-changes.db'),
    leaderRetryMs: c.leader_retry_ms,
    leaderSessionTimeoutMs: c.leader_session_timeout_ms,
    evidenceIntervalMs: c.evidence_interval_ms,
  });
}

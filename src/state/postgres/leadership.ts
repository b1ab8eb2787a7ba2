/**
 * The canary leader among replicas: the one whose dedicated PostgreSQL session holds a session advisory lock
 * (`pg_try_advisory_lock`), keyed on the state schema so each deployment has its own. Non-leaders try again every
 * `retryMs`; the leader runs a trivial query on its session as often, and steps down the moment it fails.
 *
 * Why an advisory lock rather than a lease row: PostgreSQL itself releases the lock the moment the session ends
 * (a crashed or SIGKILLed replica's connection closes, or is terminated), with no expiry to tune and no clock
 * compared between machines. Its weak spot is a session the server does not know is dead (a half-open TCP
 * connection after a network cut or a frozen process): the session is opened with `idle_session_timeout`, so the
 * server ends a session that has run no query for `sessionTimeoutMs` (the leader runs one every `retryMs`), and
 * with TCP keepalives and `tcp_user_timeout` so an unanswered connection is dropped within seconds too. A leader
 * that cannot reach the server sees its own check time out first and steps down.
 *
 * Fencing: the verdict ledger writes on this same session (`withSession`), so a replica that lost the lock cannot
 * write a verdict through it: its session is gone, or it no longer holds the lock.
 */
import pg from 'pg';
import type { Leadership } from '../../routing/canary-coordination.js';
import type { Logger } from '../../telemetry/logger.js';

/** The first key of the advisory lock pair, so inferd's locks do not collide with an application's ('inf'). */
export const LOCK_CLASS = 0x696e66;

/** Rounds a replica that lost the lead with its session sits out before trying again. */
export const STAND_DOWN_ROUNDS = 3;

export interface PostgresLeadershipOptions {
  /** Where the dedicated session connects (the pool's settings serve). */
  readonly connection: pg.ClientConfig;
  /** The state schema: one leader per schema. */
  readonly schema: string;
  /** This replica, as logs and `application_name` show it. */
  readonly replica: string;
  readonly logger: Logger;
  /** How often a non-leader tries for the lock and the leader checks its session (default 1,000 ms). */
  readonly retryMs?: number | undefined;
  /**
   * The server ends the session after this long without a query, releasing a hung or cut-off leader's lock
   * (default 5,000 ms; at least three retry intervals). Takeover after a leader dies silently takes at most this
   * plus one retry interval; after a clean death (the connection closes), one retry interval.
   */
  readonly sessionTimeoutMs?: number | undefined;
}

export class PostgresLeadership implements Leadership {
  private client: pg.Client | undefined;
  private leader = false;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Everything on the session runs one at a time (a check never lands inside a verdict's transaction). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly retryMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly lockName: string;
  /** Rounds to sit out before trying for the lock again, after losing it with a session that failed. */
  private standDown = 0;

  constructor(private readonly o: PostgresLeadershipOptions) {
    this.retryMs = o.retryMs ?? 1000;
    this.sessionTimeoutMs = Math.max(o.sessionTimeoutMs ?? 5000, 3 * this.retryMs);
    this.lockName = `${o.schema}.canary_leader`;
  }

  /** Tries for the lock now, then every `retryMs`. */
  start(): void {
    if (this.closed || this.timer) return;
    const loop = () => {
      this.timer = setTimeout(() => void this.check().finally(() => !this.closed && loop()), this.retryMs);
      this.timer.unref();
    };
    void this.check().finally(() => !this.closed && loop());
  }

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * One round: a non-leader tries for the lock, the leader checks that its session still answers. The timer calls
   * it; tests call it directly.
   */
  check(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      try {
        if (!this.leader && this.standDown > 0) {
          this.standDown--;
          return;
        }
        const client = this.client ?? (await this.connect());
        if (this.leader) {
          await client.query('SELECT 1');
          return;
        }
        const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [
          LOCK_CLASS,
          this.lockName,
        ]);
        if (rows[0]?.got && !this.closed && this.client === client) this.set(true);
      } catch (err) {
        this.drop(err);
      }
    });
  }

  /**
   * Runs `work` on the session holding the lock, or resolves undefined without running it when this replica does
   * not lead. A failure ends the session (and leadership): what it left half done is rolled back by PostgreSQL.
   */
  withSession<T>(work: (client: pg.Client) => Promise<T>): Promise<T | undefined> {
    return this.exclusive(async () => {
      const client = this.client;
      if (!this.leader || !client) return undefined;
      try {
        return await work(client);
      } catch (err) {
        this.drop(err);
        throw err;
      }
    });
  }

  /** Steps down (the session ends, PostgreSQL releases the lock) and stops trying. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.exclusive(async () => {
      const client = this.client;
      this.client = undefined;
      if (this.leader) this.set(false);
      await client?.end().catch(() => undefined);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async connect(): Promise<pg.Client> {
    const timeout = this.sessionTimeoutMs;
    const settings = [
      `-c idle_session_timeout=${timeout}`,
      `-c tcp_user_timeout=${timeout}`,
      `-c tcp_keepalives_idle=${Math.max(1, Math.round(timeout / 3000))}`,
      '-c tcp_keepalives_interval=1',
      '-c tcp_keepalives_count=3',
    ].join(' ');
    const client = new pg.Client({
      ...this.o.connection,
      options: [this.o.connection.options, settings].filter(Boolean).join(' '),
      application_name: `inferd canary leadership ${this.o.replica}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: Math.max(1000, Math.round(timeout / 3)),
      // A check that times out steps down: before the server ends the silent session and another replica can lead.
      query_timeout: Math.max(this.retryMs, this.sessionTimeoutMs - 2 * this.retryMs),
      connectionTimeoutMillis: Math.max(2000, 2 * this.retryMs),
    });
    // A session that breaks between queries (terminated, the server restarted) reports here: leadership ends.
    client.on('error', (err) => this.drop(err, client));
    client.on('end', () => this.drop(undefined, client));
    try {
      await client.connect();
    } catch (err) {
      client.removeAllListeners();
      throw err;
    }
    this.client = client;
    return client;
  }

  /** Forgets the session (it is ended if still open) and steps down if leading. */
  private drop(err?: unknown, which = this.client): void {
    if (!which || which !== this.client) return;
    this.client = undefined;
    which.removeAllListeners();
    which.on('error', () => undefined);
    void which.end().catch(() => undefined);
    if (this.leader) {
      this.set(false);
      // A replica whose session just failed is the likeliest to be unwell: healthy ones get the first tries.
      this.standDown = STAND_DOWN_ROUNDS;
      this.o.logger.warn(
        { err, replica: this.o.replica, schema: this.o.schema },
        'no longer the canary leader: its PostgreSQL session ended; another replica takes over',
      );
    } else if (err && !this.closed) {
      this.o.logger.debug(
        { err, replica: this.o.replica },
        'canary leadership session failed; retrying on a new connection',
      );
    }
  }

  private set(leader: boolean): void {
    if (this.leader === leader) return;
    this.leader = leader;
    if (leader) this.o.logger.info({ replica: this.o.replica, schema: this.o.schema }, 'this replica leads canaries');
    for (const l of [...this.listeners]) l(leader);
  }
}

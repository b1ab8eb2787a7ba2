/**
 * When a replica looks for changes other replicas committed. Two triggers, one fetch:
 *
 * - LISTEN/NOTIFY: every write transaction ends with `pg_notify('inferd_state', <schema>)`, delivered at commit to
 *   every listening replica within milliseconds. Delivery is not guaranteed: a notification sent while the
 *   listening connection is broken (network, PostgreSQL restart, a terminated backend) is gone.
 * - A poll every `pollMs` (1 s by default): a single cheap query (the change sequence's last value) and, when it
 *   moved, the fetch. It bounds the delay of any lost notification to one interval, and catches up after a
 *   reconnect; with `pollMs` ≤ 1 s every replica applies a change within 2 s of its commit even with no
 *   notifications at all.
 *
 * The fetch reads everything numbered after the last change applied, so a notification is only a hint: any number of
 * them, late or lost, give the same result. Fetches never overlap; a trigger during one runs one more after it.
 * The listening connection reconnects with exponential back-off (100 ms doubling to 5 s).
 */
import pg from 'pg';
import type { Logger } from '../../telemetry/logger.js';

export const NOTIFY_CHANNEL = 'inferd_state';

export interface ChangeFeedOptions {
  /** Connection URL of the listening connection (a client of its own: LISTEN is per session). */
  readonly url: string;
  readonly schema: string;
  /** Backstop poll interval in ms. */
  readonly pollMs: number;
  /** Whether the sequence moved past what was applied: a cheap check run by the poll before it fetches. */
  readonly moved: () => Promise<boolean>;
  /** Reads and applies what is new. Rejections are reported to `onError` (the store marks itself down). */
  readonly fetch: () => Promise<void>;
  readonly onError: (err: unknown) => void;
  /** False: no listening connection, the poll alone (tests show the poll is enough on its own). Default true. */
  readonly listen?: boolean;
  /** Shown in pg_stat_activity, so an operator (or a test) can find this replica's listening connection. */
  readonly applicationName: string;
  readonly logger: Logger;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export class ChangeFeed {
  private client: pg.Client | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private fetching: Promise<void> | undefined;
  private again = false;
  private polling = false;
  private stopped = false;
  /** Whether the listening connection is up (notifications arrive). */
  listening = false;

  constructor(private readonly o: ChangeFeedOptions) {}

  start(): void {
    this.pollTimer = setInterval(() => void this.poll(), this.o.pollMs);
    this.pollTimer.unref();
    if (this.o.listen ?? true) void this.listen();
  }

  /** Fetches now (or once more after the fetch running now). Resolves when that fetch is done. */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.again = false;
        try {
          await this.o.fetch();
        } catch (err) {
          this.o.onError(err);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await this.fetching;
    await client?.end().catch(() => undefined);
  }

  private async poll(): Promise<void> {
    // A database that does not answer makes a poll last up to the connection timeout: one at a time.
    if (this.fetching || this.polling) return;
    this.polling = true;
    try {
      if (await this.o.moved()) await this.trigger();
    } catch (err) {
      this.o.onError(err);
    } finally {
      this.polling = false;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.o.url,
      connectionTimeoutMillis: 3000,
      keepAlive: true,
      application_name: this.o.applicationName,
    });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      const was = this.listening;
      this.listening = false;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      const fields = { err: err?.message, retry_ms: Math.round(this.backoffMs) };
      if (was)
        this.o.logger.warn(
          fields,
          'state change feed: the listening connection was lost; reconnecting (the poll keeps replicas in step meanwhile)',
        );
      else this.o.logger.debug(fields, 'state change feed: cannot listen yet; retrying');
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => {
      if (n.channel === NOTIFY_CHANNEL && n.payload === this.o.schema) void this.trigger();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listening = true;
    this.backoffMs = MIN_BACKOFF_MS;
    // Whatever was committed while not listening.
    void this.trigger();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    const delay = this.backoffMs * (0.75 + Math.random() / 2);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => void this.listen(), delay);
    this.reconnectTimer.unref();
  }
}

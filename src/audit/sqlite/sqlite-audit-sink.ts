/**
 * The embedded audit store: one SQLite file, written by a worker thread of its own (sqlite-audit-worker.ts) so
 * that inserts and fsyncs never block the event loop. Records are posted to the worker as snapshots (typed-array
 * copies, cheap to clone); the worker turns them into JSON and commits each batch in one transaction.
 */
import { Worker } from 'node:worker_threads';
import type { AuditQuery, AuditRecord, StoredPrediction } from '../audit-record.js';
import type { AuditSink } from '../audit-sink.js';
import type { SqliteDurability } from './sqlite-audit-store.js';
import type { FromSqliteWorker, SqliteWorkerData, ToSqliteWorker } from './worker-messages.js';

const WORKER_URL = new URL('./sqlite-audit-worker.js', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Distributes the union's `Omit` over its members, so each keeps its own fields. */
type Request = ToSqliteWorker extends infer M ? (M extends ToSqliteWorker ? Omit<M, 'id'> : never) : never;

export class SqliteAuditSink implements AuditSink {
  readonly kind = 'sqlite';
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  /** @param path the database file (its folder is created), or ':memory:'. */
  constructor(
    private readonly path: string,
    private readonly durability: SqliteDurability,
  ) {}

  async start(): Promise<void> {
    const data: SqliteWorkerData = { path: this.path, durability: this.durability };
    const worker = new Worker(WORKER_URL, { workerData: data });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (msg: FromSqliteWorker) => {
        worker.off('error', reject);
        if (msg.ok) resolve();
        else
          reject(
            new Error(
              `cannot open the audit database ${this.path}: ${msg.message}; check that its folder is writable (audit.path)`,
            ),
          );
      });
    });
    worker.on('message', (msg: FromSqliteWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`the audit SQLite worker exited (code ${code})`)));
    this.worker = worker;
  }

  async write(records: readonly AuditRecord[]): Promise<void> {
    await this.call({ op: 'write', records });
  }

  async query(query: AuditQuery): Promise<StoredPrediction[]> {
    return (await this.call({ op: 'query', query })) as StoredPrediction[];
  }

  async probe(): Promise<void> {
    await this.call({ op: 'probe', timeMs: Date.now() });
  }

  async deleteBefore(timeMs: number): Promise<number> {
    return (await this.call({ op: 'delete', timeMs })) as number;
  }

  /** Closes the database after the requests already sent; the worker then exits. */
  async stop(): Promise<void> {
    if (!this.worker || this.failure) return;
    const exited = new Promise((resolve) => this.worker!.once('exit', resolve));
    await this.call({ op: 'close' });
    await exited;
    this.worker = undefined;
  }

  private call(request: Request): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.worker) return Promise.reject(new Error('the SQLite audit store is not started; call start() first'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ ...request, id } as ToSqliteWorker);
    });
  }

  private onMessage(msg: FromSqliteWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    // Shown to clients (acknowledged durability answers 503 with it) and on readiness: no file path.
    else p.reject(new Error(`audit SQLite store: ${msg.message}`));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

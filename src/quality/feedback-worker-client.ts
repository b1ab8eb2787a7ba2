/**
 * The main thread's side of a feedback worker thread (feedback-worker.ts): sends requests, matches answers, and
 * bounds the requests waiting for it. Above `maxPending` a request is refused at once with UnavailableError (503,
 * Retry-After) instead of queueing without end. A worker that dies fails its pending requests; the next request
 * starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../errors/index.js';
import type { FeedbackStoreSpec } from './feedback-store-create.js';
import type { FromFeedbackWorker, ToFeedbackWorker } from './feedback-worker-messages.js';

const WORKER_URL = new URL('./feedback-worker.js', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Distributes the union's `Omit` over its members, so each keeps its own fields. */
export type FeedbackWorkerRequest = ToFeedbackWorker extends infer M
  ? M extends ToFeedbackWorker
    ? Omit<M, 'id'>
    : never
  : never;

export interface FeedbackWorkerOptions {
  /** Most requests sent and not yet answered. */
  readonly maxPending: number;
  /** Says what is busy and what to do, for the 503 above maxPending. */
  readonly busyMessage: string;
}

export class FeedbackWorkerClient {
  private worker: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stopped = false;

  constructor(
    private readonly spec: FeedbackStoreSpec,
    private readonly options: FeedbackWorkerOptions,
  ) {}

  /** Starts the worker and waits for its store to open (errors say why it did not). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.ensure();
  }

  /** How many requests are waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  call(request: FeedbackWorkerRequest): Promise<unknown> {
    if (this.stopped)
      return Promise.reject(new UnavailableError('the feedback store is closed; the server is shutting down'));
    if (this.pending.size >= this.options.maxPending)
      return Promise.reject(new UnavailableError(this.options.busyMessage, 2));
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.ensure().then(
      (worker) => worker.postMessage({ ...request, id } as ToFeedbackWorker),
      (err: Error) => this.settle({ id, ok: false, message: err.message }),
    );
    return answer;
  }

  /** Closes the store after the requests already sent (their writes are committed first); the worker then exits. */
  async stop(): Promise<void> {
    if (this.stopped || !this.worker) return;
    const worker = await this.worker.catch(() => undefined);
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const closed = this.call({ op: 'close' });
    this.stopped = true;
    await closed.catch(() => undefined);
    await exited;
    this.worker = undefined;
  }

  private ensure(): Promise<Worker> {
    this.worker ??= this.spawn();
    return this.worker;
  }

  private async spawn(): Promise<Worker> {
    const worker = new Worker(WORKER_URL, { workerData: this.spec });
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (msg: FromFeedbackWorker) => {
          worker.off('error', reject);
          if (msg.ok) resolve();
          else reject(new Error(msg.message));
        });
      });
    } catch (err) {
      this.worker = undefined;
      throw err;
    }
    worker.on('message', (msg: FromFeedbackWorker) => this.settle(msg));
    worker.on('error', (err) => this.lost(err));
    worker.on('exit', (code) => this.lost(new Error(`the feedback worker thread exited (code ${code})`)));
    return worker;
  }

  private settle(msg: FromFeedbackWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.message));
  }

  /** The worker is gone: what it had not answered fails; the next request starts a new one. */
  private lost(err: Error): void {
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * A ModelRuntime whose session lives in a worker thread. The main thread only posts tensors (transferring
 * their buffers) and awaits the answer, so the event loop stays free while the model computes.
 */
import { Worker } from 'node:worker_threads';
import { codeOfClass, InferenceError, ModelLoadError } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions, RuntimeSignature } from '../runtime.js';
import {
  errorFromInfo,
  mailboxNames,
  transferables,
  type FromWorker,
  type SpareWorkerData,
  type WorkerData,
} from './messages.js';
import { startAtLoweredPriority } from './loading-priority.js';
import { SharedMailbox } from './shared-mailbox.js';

interface Pending {
  resolve(result: RunResult): void;
  reject(err: Error): void;
}

export interface RunResult {
  readonly outputs: Tensor[];
  /** Time the runtime spent computing inside the worker. */
  readonly computeNs: number;
}

const WORKER_URL = new URL('./runtime-worker.js', import.meta.url);

/**
 * Mailboxes of closed workers, reused by the next loads. A SharedArrayBuffer's memory is freed only when the
 * garbage collector gets to its last reference, which a quiet heap may put off for many loads; reusing them keeps
 * repeated load/unload cycles from piling up mailboxes.
 */
const spareMailboxes: SharedMailbox[] = [];
const MAX_SPARE_MAILBOXES = 8;

/** A worker started ahead of the first load (prestartWorker), waiting for its model. */
let spare: Worker | undefined;

/**
 * Starts one model worker before any model is known, so that Node's bootstrap of the thread and the runtimes'
 * modules (onnxruntime) load while the server's own code loads. The next load that starts at normal priority
 * takes it (the loads at start); `dropSpareWorker` ends it if none did. It does not keep the process alive.
 */
export function prestartWorker(): void {
  if (spare) return;
  const worker = new Worker(WORKER_URL, { workerData: { spare: true } satisfies SpareWorkerData });
  worker.unref();
  const forget = () => {
    if (spare === worker) spare = undefined;
  };
  worker.once('error', forget); // a load that took it has listeners of its own
  worker.once('exit', forget);
  spare = worker;
}

/** Ends the pre-started worker if no load took it. */
export async function dropSpareWorker(): Promise<void> {
  const worker = spare;
  spare = undefined;
  await worker?.terminate();
}

export class WorkerRuntime implements ModelRuntime {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;

  private readonly names: string[];

  private constructor(
    private readonly worker: Worker,
    readonly signature: RuntimeSignature,
    private readonly mailbox: SharedMailbox,
    private readonly restorePriority: () => void,
  ) {
    this.names = mailboxNames(signature);
    worker.on('message', (msg: FromWorker | number) => this.onMessage(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(new InferenceError('INTERNAL', `model worker exited with code ${code}`));
    });
  }

  /**
   * Starts a worker and loads the model in it. Rejects with the runtime's reason if loading fails. `lowerPriority`
   * (default true): the worker starts, loads and warms up at a lowered priority; serving() returns it to normal.
   */
  static load(options: RuntimeLoadOptions, { lowerPriority = true } = {}): Promise<WorkerRuntime> {
    const mailbox = spareMailboxes.pop() ?? SharedMailbox.create();
    const data: WorkerData = { options, mailbox: mailbox.buffer };
    const taken = lowerPriority ? undefined : spare;
    spare = taken ? undefined : spare;
    const start = () => {
      if (!taken) return new Worker(WORKER_URL, { workerData: data });
      taken.ref();
      taken.postMessage(data);
      return taken;
    };
    const started = lowerPriority ? startAtLoweredPriority(start) : { value: start(), restore: () => undefined };
    const worker = started.value;
    return new Promise((resolve, rejectLoad) => {
      // Threads the failed load started (onnxruntime's process-wide one) must not stay lowered.
      const reject = (err: unknown) => {
        started.restore();
        rejectLoad(err);
      };
      const onExit = (code: number) =>
        reject(new ModelLoadError(`model worker exited with code ${code} while loading`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (msg: FromWorker) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (msg.type === 'loaded') {
          resolve(new WorkerRuntime(worker, msg.signature, mailbox, started.restore));
        } else {
          void worker.terminate();
          reject(
            msg.type === 'load-failed'
              ? new ModelLoadError(msg.error.message, {
                  errorCode: codeOfClass('MODEL_LOAD_FAILED', msg.error.errorCode),
                })
              : new ModelLoadError(`unexpected message ${msg.type}`),
          );
        }
      });
    });
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    return (await this.runTimed(inputs, outputNames)).outputs;
  }

  /**
   * Like run(), also reporting the compute time measured inside the worker. The inputs are copied into the shared
   * mailbox when no other run is in flight and they fit; otherwise their buffers are transferred away.
   */
  runTimed(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<RunResult> {
    if (this.exited) return Promise.reject(new InferenceError('INTERNAL', 'model worker has exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const alone = this.pending.size === 0;
      this.pending.set(id, { resolve, reject });
      if (alone && this.mailbox.write(inputs, this.names, outputNames)) this.worker.postMessage(id);
      else this.worker.postMessage({ type: 'run', id, inputs, outputs: outputNames }, transferables(inputs));
    });
  }

  /** False once the worker thread has exited or is closing: the instance will never run again. */
  get running(): boolean {
    return !this.exited && !this.closing;
  }

  /**
   * The instance is warm and about to take traffic: its threads return from the lowered priority they started,
   * loaded and warmed up at.
   */
  serving(): void {
    this.restorePriority();
  }

  async close(): Promise<void> {
    if (this.exited || this.closing) return;
    this.closing = true;
    await this.worker.terminate();
    // The worker is gone: nothing reads or writes the mailbox any more.
    if (spareMailboxes.length < MAX_SPARE_MAILBOXES) spareMailboxes.push(this.mailbox);
  }

  private closing = false;

  private onMessage(msg: FromWorker | number): void {
    if (typeof msg === 'number') {
      const p = this.pending.get(msg);
      if (!p) return;
      this.pending.delete(msg);
      const { tensors, computeNs } = this.mailbox.read(this.names);
      p.resolve({ outputs: tensors, computeNs });
      return;
    }
    if (msg.type !== 'result' && msg.type !== 'failed') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve({ outputs: msg.outputs as Tensor[], computeNs: msg.computeNs });
    else p.reject(errorFromInfo(msg.error));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

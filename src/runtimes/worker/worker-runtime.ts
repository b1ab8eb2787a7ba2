/**
 * A ModelRuntime whose session lives in a worker thread. The main thread only posts tensors (transferring
 * their buffers) and awaits the answer, so the event loop stays free while the model computes.
 */
import { Worker } from 'node:worker_threads';
import { InferenceError, ModelLoadError } from '../../errors/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions, RuntimeSignature } from '../runtime.js';
import { transferables, type FromWorker, type WorkerErrorInfo } from './messages.js';

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

function toError(info: WorkerErrorInfo): InferenceError {
  return new InferenceError(info.code, info.message);
}

export class WorkerRuntime implements ModelRuntime {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    readonly signature: RuntimeSignature,
  ) {
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(new InferenceError('INTERNAL', `model worker exited with code ${code}`));
    });
  }

  /** Starts a worker and loads the model in it. Rejects with the runtime's reason if loading fails. */
  static load(options: RuntimeLoadOptions): Promise<WorkerRuntime> {
    const worker = new Worker(WORKER_URL, { workerData: options });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new ModelLoadError(`model worker exited with code ${code} while loading`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (msg: FromWorker) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (msg.type === 'loaded') {
          resolve(new WorkerRuntime(worker, msg.signature));
        } else {
          void worker.terminate();
          reject(msg.type === 'load-failed' ? new ModelLoadError(msg.error.message) : new ModelLoadError(`unexpected message ${msg.type}`));
        }
      });
    });
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
    return (await this.runTimed(inputs, outputNames)).outputs;
  }

  /** Like run(), also reporting the compute time measured inside the worker. Input buffers are transferred away. */
  runTimed(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<RunResult> {
    if (this.exited) return Promise.reject(new InferenceError('INTERNAL', 'model worker has exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, inputs, outputs: outputNames }, transferables(inputs));
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type !== 'result' && msg.type !== 'failed') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'result') p.resolve({ outputs: msg.outputs as Tensor[], computeNs: msg.computeNs });
    else p.reject(toError(msg.error));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * Decodes inference bodies without blocking the event loop for long. A body below OFF_THREAD_BYTES is decoded in
 * place (JSON.parse and the tensor fill of 64 KiB take well under a millisecond); a larger one moves (transferred,
 * not copied) to a worker thread, which checks it against the model, parses it and fills the tensors, and sends
 * the tensors' buffers back transferred, so the event loop only pays for two messages. JSON.parse of tens of MiB
 * is one call that cannot be split, so it cannot share the event loop; the worker does one body at a time, in
 * arrival order. Binary tensor data is not parsed, only copied once into aligned storage: for a large body that
 * copy is made in the worker too.
 */
import { Worker } from 'node:worker_threads';
import { InferenceError, InputMismatchError, UnavailableError } from '../../errors/index.js';
import type { WorkerAnswer } from './decode-messages.js';
import { decodeJob, type DecodedBody, type DecodeJob } from './json-body-decoder.js';

/** JSON text at or above this size is decoded in the worker. */
export const OFF_THREAD_BYTES = 64 * 1024;

const WORKER_URL = new URL('./decode-worker.js', import.meta.url);

interface Pending {
  resolve(decoded: DecodedBody): void;
  reject(err: Error): void;
}

export class DecodePool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Bodies decoded in the worker since start (for tests and benchmarks). */
  offThread = 0;

  constructor(readonly thresholdBytes = OFF_THREAD_BYTES) {}

  async decode(job: DecodeJob): Promise<DecodedBody> {
    if (job.body.byteLength < this.thresholdBytes) return decodeJob(job);
    this.offThread++;
    const worker = this.start();
    const id = this.nextId++;
    // The body moves to the worker: its own buffer is transferred, a view into a shared one is copied first.
    const whole =
      job.body.byteOffset === 0 &&
      job.body.byteLength === job.body.buffer.byteLength &&
      job.body.buffer instanceof ArrayBuffer;
    const body = whole ? job.body : new Uint8Array(job.body);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job: { ...job, body } }, [body.buffer as ArrayBuffer]);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL);
    worker.unref(); // an idle decoder never keeps the process alive
    worker.on('message', (answer: WorkerAnswer) => {
      const p = this.pending.get(answer.id);
      if (!p) return;
      this.pending.delete(answer.id);
      if (answer.error)
        p.reject(
          answer.error.mismatch
            ? new InputMismatchError(answer.error.message)
            : new InferenceError(answer.error.code, answer.error.message, { errorCode: answer.error.errorCode }),
        );
      else p.resolve(answer.decoded);
    });
    const fail = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const err = new UnavailableError(`the request body decoder stopped (${reason}); retry the request`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Stops the worker; bodies being decoded are refused (503). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await worker.terminate();
  }
}

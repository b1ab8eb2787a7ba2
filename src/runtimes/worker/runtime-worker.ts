/**
 * Entry point of a runtime worker thread: loads one model instance and runs it on request.
 * One run at a time; the scheduler on the main thread never sends a second before the first answers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toInferenceError } from '../../errors/index.js';
import { createRuntime } from '../create-runtime.js';
import type { ModelRuntime, RuntimeLoadOptions } from '../runtime.js';
import { transferables, type FromWorker, type ToWorker } from './messages.js';

const port = parentPort;
if (!port) throw new Error('runtime-worker must run as a worker thread');

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function errorInfo(err: unknown) {
  const e = toInferenceError(err);
  return { code: e.code, message: e.code === 'INTERNAL' ? (err as Error).message ?? e.message : e.message };
}

async function handle(runtime: ModelRuntime, msg: ToWorker): Promise<void> {
  if (msg.type === 'close') {
    await runtime.close();
    post({ type: 'closed' });
    return;
  }
  const start = process.hrtime.bigint();
  try {
    const outputs = await runtime.run(msg.inputs, msg.outputs);
    const computeNs = Number(process.hrtime.bigint() - start);
    post({ type: 'result', id: msg.id, outputs, computeNs }, transferables(outputs));
  } catch (err) {
    post({ type: 'failed', id: msg.id, error: errorInfo(err) });
  }
}

try {
  const runtime = await createRuntime(workerData as RuntimeLoadOptions);
  port.on('message', (msg: ToWorker) => void handle(runtime, msg));
  post({ type: 'loaded', signature: runtime.signature });
} catch (err) {
  post({ type: 'load-failed', error: errorInfo(err) });
}

/**
 * What a runtime worker thread does once started: load the model, announce its signature, then run each request
 * the main thread posts and transfer the outputs back.
 */
import type { MessagePort } from 'node:worker_threads';
import { toInferenceError } from '../../errors/index.js';
import { createRuntime } from '../create-runtime.js';
import type { ModelRuntime, RuntimeLoadOptions } from '../runtime.js';
import { mailboxNames, transferables, type FromWorker, type ToWorker } from './messages.js';
import { SharedMailbox } from './shared-mailbox.js';

function errorInfo(err: unknown) {
  const e = toInferenceError(err);
  return { code: e.code, message: e.code === 'INTERNAL' ? (err as Error).message ?? e.message : e.message };
}

/** Loads the model, announces its signature, then serves. */
export async function serveModel(port: MessagePort, options: RuntimeLoadOptions, sharedMemory: SharedArrayBuffer): Promise<void> {
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const mailbox = new SharedMailbox(sharedMemory);
  let names: string[] = [];

  /** A run whose tensors are in the mailbox: the outputs go back the same way when they fit. */
  async function handleShared(runtime: ModelRuntime, id: number): Promise<void> {
    const { tensors, wanted } = mailbox.read(names);
    const start = process.hrtime.bigint();
    try {
      const outputs = await runtime.run(tensors, wanted);
      const computeNs = Number(process.hrtime.bigint() - start);
      if (mailbox.write(outputs, names, [], computeNs)) port.postMessage(id);
      else post({ type: 'result', id, outputs, computeNs }, transferables(outputs));
    } catch (err) {
      post({ type: 'failed', id, error: errorInfo(err) });
    }
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
    const runtime = await createRuntime(options);
    names = mailboxNames(runtime.signature);
    port.on('message', (msg: ToWorker | number) => void (typeof msg === 'number' ? handleShared(runtime, msg) : handle(runtime, msg)));
    post({ type: 'loaded', signature: runtime.signature });
  } catch (err) {
    post({ type: 'load-failed', error: errorInfo(err) });
  }
}

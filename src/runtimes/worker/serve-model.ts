/**
 * What a runtime worker thread does once started: load the model, announce its signature, then run each request
 * the main thread posts and transfer the outputs back.
 */
import type { MessagePort } from 'node:worker_threads';
import { createRuntime } from '../create-runtime.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions } from '../runtime.js';
import { errorInfo, mailboxNames, transferables, type FromWorker, type ToWorker } from './messages.js';
import { SharedMailbox } from './shared-mailbox.js';

/** Loads the model, announces its signature, then serves. */
export async function serveModel(
  port: MessagePort,
  options: RuntimeLoadOptions,
  sharedMemory: SharedArrayBuffer,
): Promise<void> {
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const mailbox = new SharedMailbox(sharedMemory);
  let names: string[] = [];

  /** Runs one request and answers it: through the mailbox when it came that way and the outputs fit, else by message. */
  async function run(
    runtime: ModelRuntime,
    id: number,
    inputs: readonly Tensor[],
    wanted: readonly string[],
    shared: boolean,
  ): Promise<void> {
    const start = process.hrtime.bigint();
    try {
      const outputs = await runtime.run(inputs, wanted);
      const computeNs = Number(process.hrtime.bigint() - start);
      if (shared && mailbox.write(outputs, names, [], computeNs)) port.postMessage(id);
      else post({ type: 'result', id, outputs, computeNs }, transferables(outputs));
    } catch (err) {
      post({ type: 'failed', id, error: errorInfo(err) });
    }
  }

  /** A number is the id of a run whose tensors are in the mailbox; anything else is a message of its own. */
  async function handle(runtime: ModelRuntime, msg: ToWorker | number): Promise<void> {
    if (typeof msg === 'number') {
      const { tensors, wanted } = mailbox.read(names);
      return run(runtime, msg, tensors, wanted, true);
    }
    if (msg.type === 'close') {
      await runtime.close();
      post({ type: 'closed' });
      return;
    }
    return run(runtime, msg.id, msg.inputs, msg.outputs, false);
  }

  try {
    const runtime = await createRuntime(options);
    names = mailboxNames(runtime.signature);
    port.on('message', (msg: ToWorker | number) => void handle(runtime, msg));
    post({ type: 'loaded', signature: runtime.signature });
  } catch (err) {
    post({ type: 'load-failed', error: errorInfo(err) });
  }
}

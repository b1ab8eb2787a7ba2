/**
 * Entry point of a runtime worker thread: loads one model instance and runs it on request.
 * One run at a time; the scheduler on the main thread never sends a second before the first answers.
 * The main thread starts it at a lowered priority and returns it to normal once warm (loading-priority.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SpareWorkerData, WorkerData } from './messages.js';
import { serveModel } from './serve-model.js';

if (!parentPort) throw new Error('runtime-worker must run as a worker thread');
const port = parentPort;

// A spare worker has loaded its modules (onnxruntime among them) by now; its model comes in the first message.
const data = workerData as WorkerData | SpareWorkerData;
const { options, mailbox } =
  'spare' in data ? await new Promise<WorkerData>((resolve) => port.once('message', resolve)) : data;
await serveModel(port, options, mailbox);

/** The open-loop generator's thread (open-loop.ts): runs it with workerData's options, posts the result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { openLoopHere, type OpenLoopOptions } from './open-loop.js';

let stop = false;
parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') stop = true;
});
const result = await openLoopHere(workerData as OpenLoopOptions, () => stop);
parentPort?.postMessage(result);
parentPort?.close();

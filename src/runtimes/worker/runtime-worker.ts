/**
 * Entry point of a runtime worker thread: loads one model instance and runs it on request.
 * One run at a time; the scheduler on the main thread never sends a second before the first answers.
 *
 * The thread loads at a lowered priority where it can return to normal (loading-priority.ts): the modules that
 * load the runtime are imported only after the priority is lowered, so their compilation counts as loading too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerPriorityWhileLoading } from './loading-priority.js';
import type { WorkerData } from './messages.js';

if (!parentPort) throw new Error('runtime-worker must run as a worker thread');

// Loading and warm-up run at the lowered priority; the main thread's 'serving' message ends it. Threads the
// runtime starts meanwhile (an intra-op pool) are returned to normal priority with this one.
const restorePriority = lowerPriorityWhileLoading();
const { serveModel } = await import('./serve-model.js');
const { options, mailbox } = workerData as WorkerData;
await serveModel(parentPort, options, mailbox, restorePriority);

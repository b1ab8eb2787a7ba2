/**
 * Entry point of a runtime worker thread: loads one model instance and runs it on request.
 * One run at a time; the scheduler on the main thread never sends a second before the first answers.
 * The main thread starts it at a lowered priority and returns it to normal once warm (loading-priority.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerData } from './messages.js';
import { serveModel } from './serve-model.js';

if (!parentPort) throw new Error('runtime-worker must run as a worker thread');

const { options, mailbox } = workerData as WorkerData;
await serveModel(parentPort, options, mailbox);

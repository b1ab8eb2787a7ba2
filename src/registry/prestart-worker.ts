/**
 * For `inferd serve`: one model worker started before the server's code loads (see WorkerRuntime's
 * prestartWorker), taken by the first model loaded at start.
 */
export { dropSpareWorker, prestartWorker } from '../runtimes/worker/worker-runtime.js';

/**
 * Entry point of a feedback worker thread: opens its own connection to the feedback store (the SQLite file or the
 * PostgreSQL schema of the prediction log) and runs, one request at a time, the store calls, the joining of
 * labels and the quality computations the main thread sends, so that reading 100,000 labels, computing their metrics and writing a batch
 * of labels never block the server's event loop. Answers id 0 once the store is open.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { StoreFeedbackJoiner } from './feedback-join.js';
import type { FeedbackStore } from './feedback-store.js';
import { openFeedbackStore, type FeedbackStoreSpec } from './feedback-store-create.js';
import type { FromFeedbackWorker, ToFeedbackWorker } from './feedback-worker-messages.js';
import { StoreQualityCompute } from './quality-compute.js';

const port = parentPort;
if (!port) throw new Error('feedback-worker must run as a worker thread');
const spec = workerData as FeedbackStoreSpec;

async function apply(
  store: FeedbackStore,
  compute: StoreQualityCompute,
  joiner: StoreFeedbackJoiner,
  msg: ToFeedbackWorker,
): Promise<unknown> {
  switch (msg.op) {
    case 'store': {
      // The method and its arguments are those of the FeedbackStore interface, checked by the client's types.
      const method = store[msg.method] as (...args: readonly unknown[]) => Promise<unknown>;
      return method.apply(store, [...msg.args]);
    }
    case 'report':
      return compute.report(msg.model, msg.windows, msg.nowMs, msg.maxLabels);
    case 'samples':
      return compute.samples(msg.windows, msg.nowMs, msg.maxLabels);
    case 'versions':
      return joiner.versions(msg.requestIds, msg.scope);
    case 'join':
      return joiner.joinAndStore(msg.items, msg.timeMs, msg.thresholds, msg.scope);
    case 'close':
      return store.stop();
  }
}

const store = openFeedbackStore(spec);
try {
  await store.start();
  port.postMessage({ id: 0, ok: true, value: 'opened' } satisfies FromFeedbackWorker);
} catch (err) {
  port.postMessage({ id: 0, ok: false, message: (err as Error).message } satisfies FromFeedbackWorker);
  process.exit(1);
}
const compute = new StoreQualityCompute(store);
const joiner = new StoreFeedbackJoiner(store);

// One request at a time, in order: a write is committed before the next request starts.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToFeedbackWorker) => {
  queue = queue.then(async () => {
    let answer: FromFeedbackWorker;
    try {
      answer = { id: msg.id, ok: true, value: await apply(store, compute, joiner, msg) };
    } catch (err) {
      answer = { id: msg.id, ok: false, message: (err as Error).message };
    }
    port.postMessage(answer);
    if (msg.op === 'close') port.close(); // nothing keeps the thread alive after this: it exits
  });
});

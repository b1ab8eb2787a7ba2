/**
 * The feedback store as the server uses it: every call runs in a feedback worker thread with a connection of its
 * own (better-sqlite3 is synchronous; PostgreSQL rows are parsed where they are read), so joining and writing a
 * batch of labels (joinAndStore) does not block the event loop. A batch is written in one transaction and its request is
 * answered only once it is committed; at most `maxPending` calls wait for the worker, more are refused (503).
 */
import type { FeedbackJoiner, JoinedBatch, VersionThresholds } from './feedback-join.js';
import type { FeedbackItem } from './feedback-request.js';
import type { LoggedPrediction } from '../audit/audit-record.js';
import type { FeedbackRecord, FeedbackStore, LoggedQuery, PredictionScope } from './feedback-store.js';
import type { FeedbackStoreSpec } from './feedback-store-create.js';
import { FeedbackWorkerClient } from './feedback-worker-client.js';
import type { StoreArgs, StoreMethod } from './feedback-worker-messages.js';

/** Store calls waiting for the worker, at most (two per feedback request: the join, then the write). */
export const DEFAULT_MAX_PENDING_WRITES = 64;

export class ThreadedFeedbackStore implements FeedbackStore, FeedbackJoiner {
  readonly kind: string;
  readonly client: FeedbackWorkerClient;

  constructor(spec: FeedbackStoreSpec, maxPending = DEFAULT_MAX_PENDING_WRITES) {
    this.kind = spec.store;
    this.client = new FeedbackWorkerClient(spec, {
      maxPending,
      busyMessage: `the feedback store is busy (${maxPending} calls waiting); send the feedback again in a few seconds`,
    });
  }

  start(): Promise<void> {
    return this.client.start();
  }

  predictions(requestIds: readonly string[], scope: PredictionScope): Promise<LoggedPrediction[]> {
    return this.run('predictions', [requestIds, scope]) as Promise<LoggedPrediction[]>;
  }

  insert(records: readonly FeedbackRecord[]): Promise<number> {
    return this.run('insert', [records]) as Promise<number>;
  }

  window(sinceMs: number, model?: string, limit?: number): Promise<FeedbackRecord[]> {
    return this.run('window', [sinceMs, model, limit]) as Promise<FeedbackRecord[]>;
  }

  models(sinceMs: number): Promise<string[]> {
    return this.run('models', [sinceMs]) as Promise<string[]>;
  }

  labelsFor(model: string, requestIds: readonly string[]): Promise<FeedbackRecord[]> {
    return this.run('labelsFor', [model, requestIds]) as Promise<FeedbackRecord[]>;
  }

  logged(query: LoggedQuery): Promise<LoggedPrediction[]> {
    return this.run('logged', [query]) as Promise<LoggedPrediction[]>;
  }

  deleteBefore(timeMs: number): Promise<number> {
    return this.run('deleteBefore', [timeMs]) as Promise<number>;
  }

  versions(requestIds: readonly string[], scope: PredictionScope): Promise<Array<readonly [string, string]>> {
    return this.client.call({ op: 'versions', requestIds, scope }) as Promise<Array<readonly [string, string]>>;
  }

  joinAndStore(
    items: readonly FeedbackItem[],
    timeMs: number,
    thresholds: VersionThresholds,
    scope: PredictionScope,
  ): Promise<JoinedBatch> {
    return this.client.call({ op: 'join', items, timeMs, thresholds, scope }) as Promise<JoinedBatch>;
  }

  stop(): Promise<void> {
    return this.client.stop();
  }

  private run<M extends StoreMethod>(method: M, args: StoreArgs<M>): Promise<unknown> {
    return this.client.call({ op: 'store', method, args });
  }
}

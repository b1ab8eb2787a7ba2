/**
 * Messages between the main thread (FeedbackWorkerClient) and a feedback worker thread (feedback-worker.ts). Every
 * request carries an id; the worker answers each with the same id, in the order it received them.
 */
import type { QualityWindowSpec } from '../config/quality-config.js';
import type { VersionThresholds } from './feedback-join.js';
import type { FeedbackItem } from './feedback-request.js';
import type { FeedbackStore, PredictionScope } from './feedback-store.js';

/** The store calls a worker runs for the main thread. */
export type StoreMethod = 'predictions' | 'insert' | 'window' | 'models' | 'labelsFor' | 'logged' | 'deleteBefore';

export type StoreArgs<M extends StoreMethod> = Parameters<FeedbackStore[M]>;

export type ToFeedbackWorker =
  | { readonly id: number; readonly op: 'store'; readonly method: StoreMethod; readonly args: readonly unknown[] }
  | {
      readonly id: number;
      readonly op: 'report';
      readonly model: string;
      readonly windows: readonly QualityWindowSpec[];
      readonly nowMs: number;
      readonly maxLabels: number;
    }
  | {
      readonly id: number;
      readonly op: 'samples';
      readonly windows: readonly QualityWindowSpec[];
      readonly nowMs: number;
      readonly maxLabels: number;
    }
  | {
      readonly id: number;
      readonly op: 'versions';
      readonly requestIds: readonly string[];
      readonly scope: PredictionScope;
    }
  | {
      readonly id: number;
      readonly op: 'join';
      readonly items: readonly FeedbackItem[];
      readonly timeMs: number;
      readonly thresholds: VersionThresholds;
      readonly scope: PredictionScope;
    }
  | { readonly id: number; readonly op: 'close' };

export type FromFeedbackWorker =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string };

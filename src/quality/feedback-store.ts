/**
 * Where feedback labels are kept: a `feedback` table in the same database as the prediction log (the SQLite file
 * or the PostgreSQL schema of `audit:`), so labels join predictions in the store itself, on (model, principal,
 * request id): a label never joins another model's prediction, nor another caller's (with auth on, the principal
 * is the authenticated caller; with auth off, everyone is 'anonymous').
 * Implementations: SqliteFeedbackStore and PostgresFeedbackStore; both run the cases in
 * test/quality/feedback-store.test.ts.
 */
import type { LoggedPrediction } from '../audit/audit-record.js';
import type { FeedbackKind } from './feedback-outcome.js';

/** One label joined with its prediction, as stored. */
export interface FeedbackRecord {
  readonly requestId: string;
  /** Who made the prediction and sent the label (the same principal; 'anonymous' with auth off). */
  readonly principal: string;
  /** The row of the prediction's batch the label is for (0 for single-row requests). */
  readonly row: number;
  readonly model: string;
  /** The version that answered. */
  readonly version: string;
  /** When the prediction was answered, ms since the epoch. */
  readonly predictionTimeMs: number;
  /** When the label arrived, ms since the epoch. */
  readonly timeMs: number;
  readonly kind: FeedbackKind;
  /** The true class (kind label) or value (kind value). */
  readonly label: number;
  /** The predicted class or value. */
  readonly predicted: number;
  /** Class probabilities of the row, for classifiers with scores. */
  readonly scores: readonly number[] | null;
  /** The positive class of a binary classifier; null otherwise. */
  readonly positiveClass: number | null;
}

/** A page of logged predictions of one model, oldest first. */
export interface LoggedQuery {
  readonly model: string;
  /** Predictions at or after this time, ms since the epoch. */
  readonly sinceMs: number;
  /** Only predictions with at least one label. */
  readonly labeledOnly: boolean;
  /** Only predictions stored after this seq (the last one of the previous page). */
  readonly afterSeq?: number | undefined;
  readonly limit: number;
}

/**
 * Whose predictions a label may join: the sender's own, of one model when it names one (the model the route
 * names; absent on POST /v1/feedback, where each item may name its own).
 */
export interface PredictionScope {
  /** The authenticated principal's id; 'anonymous' with auth off. */
  readonly principal: string;
  readonly model?: string;
}

export interface FeedbackStore {
  /** 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** Opens the store and creates the feedback table and its indexes when missing. */
  start(): Promise<void>;
  /**
   * The newest logged prediction per model for each of these request ids, of this principal only (and of this
   * model only, when `scope.model` is set).
   */
  predictions(requestIds: readonly string[], scope: PredictionScope): Promise<LoggedPrediction[]>;
  /**
   * Stores labels in one transaction; one already stored for the same model, principal, request id and row is
   * kept. Resolves with how many were new.
   */
  insert(records: readonly FeedbackRecord[]): Promise<number>;
  /**
   * Labels that arrived at or after `sinceMs` (of one model, or of all), oldest first; with `limit`, only the
   * newest `limit` of them.
   */
  window(sinceMs: number, model?: string, limit?: number): Promise<FeedbackRecord[]>;
  /** The models with labels that arrived at or after `sinceMs`. */
  models(sinceMs: number): Promise<string[]>;
  /** Labels of this model for these request ids (of any principal: match them with each prediction's). */
  labelsFor(model: string, requestIds: readonly string[]): Promise<FeedbackRecord[]>;
  /** A page of logged predictions, oldest first. */
  logged(query: LoggedQuery): Promise<LoggedPrediction[]>;
  /** Deletes labels that arrived before `timeMs`; resolves with how many. */
  deleteBefore(timeMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** The columns both stores keep per label. */
export interface FeedbackRow {
  readonly request_id: string;
  readonly principal: string;
  readonly row_index: number;
  readonly model: string;
  readonly version: string;
  readonly prediction_time_ms: number;
  readonly time_ms: number;
  readonly kind: string;
  readonly label: number;
  readonly predicted: number;
  /** JSON array, or null. */
  readonly scores: string | null;
  readonly positive_class: number | null;
}

export function toFeedbackRow(r: FeedbackRecord): FeedbackRow {
  return {
    request_id: r.requestId,
    principal: r.principal,
    row_index: r.row,
    model: r.model,
    version: r.version,
    prediction_time_ms: r.predictionTimeMs,
    time_ms: r.timeMs,
    kind: r.kind,
    label: r.label,
    predicted: r.predicted,
    scores: r.scores === null ? null : JSON.stringify(r.scores),
    positive_class: r.positiveClass,
  };
}

export function fromFeedbackRow(r: FeedbackRow): FeedbackRecord {
  return {
    requestId: r.request_id,
    principal: r.principal,
    row: Number(r.row_index),
    model: r.model,
    version: r.version,
    predictionTimeMs: Number(r.prediction_time_ms),
    timeMs: Number(r.time_ms),
    kind: r.kind as FeedbackKind,
    label: Number(r.label),
    predicted: Number(r.predicted),
    scores: r.scores === null ? null : (JSON.parse(r.scores) as number[]),
    positiveClass: r.positive_class === null ? null : Number(r.positive_class),
  };
}

/** Keeps the newest (highest seq) prediction per model, principal and request id. */
export function newestPerRequest(rows: readonly LoggedPrediction[]): LoggedPrediction[] {
  const byKey = new Map<string, LoggedPrediction>();
  for (const r of rows) {
    const key = JSON.stringify([r.model, r.principal, r.requestId]);
    if ((byKey.get(key)?.seq ?? -1) < r.seq) byKey.set(key, r);
  }
  return [...byKey.values()];
}

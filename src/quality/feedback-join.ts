/**
 * Joining labels with their logged predictions and storing them: looks each request id up in the prediction log
 * (a slice of ids at a time), reads what the prediction said (at the version's threshold), and writes the joined
 * labels in one transaction. Runs where the store is: in the feedback worker thread for the server, so a batch of
 * 10,000 labels is joined and written off the event loop; the main thread only supplies the thresholds of the
 * versions the labels are for (they live in the loaded models' configs).
 */
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import { predictionOutcome } from './feedback-outcome.js';
import type { FeedbackItem } from './feedback-request.js';
import type { LoggedPrediction } from '../audit/audit-record.js';
import type { FeedbackRecord, FeedbackStore, PredictionScope } from './feedback-store.js';

/** Ids and problems listed in an answer, at most this many each. */
export const MAX_LISTED = 100;
/** Request ids looked up in the prediction log per query. */
const LOOKUP_CHUNK = 500;

/** The thresholds of the versions a batch's predictions came from, as [model, version, threshold]. */
export type VersionThresholds = ReadonlyArray<readonly [string, string, ThresholdConfig]>;

export interface JoinedBatch {
  /** Labels newly stored. */
  readonly inserted: number;
  /** Labels joined and written (the ones not inserted were already stored). */
  readonly joined: number;
  readonly unknown: number;
  readonly unusable: number;
  /** The first unknown request ids. */
  readonly unknownIds: readonly string[];
  /** The first unusable items and why. */
  readonly unusableItems: ReadonlyArray<{ readonly id: string; readonly row: number; readonly reason: string }>;
}

export interface FeedbackJoiner {
  /** The distinct [model, version] of the newest logged predictions of these request ids, within `scope`. */
  versions(requestIds: readonly string[], scope: PredictionScope): Promise<Array<readonly [string, string]>>;
  /**
   * Joins `items` (unique per model, id and row) with the sender's own predictions (`scope`: its principal, and
   * the model the route names) and stores them in one transaction.
   */
  joinAndStore(
    items: readonly FeedbackItem[],
    timeMs: number,
    thresholds: VersionThresholds,
    scope: PredictionScope,
  ): Promise<JoinedBatch>;
}

function join(
  item: FeedbackItem,
  p: LoggedPrediction,
  timeMs: number,
  threshold: ThresholdConfig | undefined,
): FeedbackRecord | string {
  const read = predictionOutcome(p.outputs, item.kind, item.row, threshold);
  if (!read.ok) return read.reason;
  return {
    requestId: item.id,
    principal: p.principal,
    row: item.row,
    model: p.model,
    version: p.version,
    predictionTimeMs: p.timeMs,
    timeMs,
    kind: item.kind,
    label: item.target,
    ...read.outcome,
  };
}

/** Joins and stores on the calling thread, over `store`. */
export class StoreFeedbackJoiner implements FeedbackJoiner {
  constructor(private readonly store: FeedbackStore) {}

  async versions(requestIds: readonly string[], scope: PredictionScope): Promise<Array<readonly [string, string]>> {
    const pairs = new Map<string, readonly [string, string]>();
    await this.eachChunk(requestIds, scope, (found) => {
      for (const p of found) pairs.set(JSON.stringify([p.model, p.version]), [p.model, p.version]);
    });
    return [...pairs.values()];
  }

  async joinAndStore(
    items: readonly FeedbackItem[],
    timeMs: number,
    thresholds: VersionThresholds,
    scope: PredictionScope,
  ): Promise<JoinedBatch> {
    const thresholdOf = new Map(thresholds.map(([model, version, t]) => [JSON.stringify([model, version]), t]));
    const byId = new Map<string, FeedbackItem[]>();
    for (const item of items) {
      const same = byId.get(item.id);
      if (same) same.push(item);
      else byId.set(item.id, [item]);
    }
    const records: FeedbackRecord[] = [];
    const unknownIds: string[] = [];
    const unusableItems: Array<{ id: string; row: number; reason: string }> = [];
    await this.eachChunk([...byId.keys()], scope, (found, chunk) => {
      // The sender's newest prediction of each model per request id: ids are the client's, so they may repeat across models.
      const byRequest = new Map<string, LoggedPrediction[]>();
      for (const p of found) byRequest.set(p.requestId, [...(byRequest.get(p.requestId) ?? []), p]);
      for (const id of chunk) {
        for (const item of byId.get(id)!) {
          const model = item.model ?? scope.model;
          const candidates = (byRequest.get(id) ?? []).filter((p) => model === undefined || p.model === model);
          if (candidates.length === 0) {
            unknownIds.push(item.id);
            continue;
          }
          if (candidates.length > 1) {
            const models = candidates
              .map((p) => `'${p.model}'`)
              .sort()
              .join(', ');
            unusableItems.push({
              id: item.id,
              row: item.row,
              reason: `the id names predictions of models ${models}; post to /v1/models/{model}/feedback, or give the item's "model"`,
            });
            continue;
          }
          const prediction = candidates[0]!;
          const joined = join(
            item,
            prediction,
            timeMs,
            thresholdOf.get(JSON.stringify([prediction.model, prediction.version])),
          );
          if (typeof joined === 'string') unusableItems.push({ id: item.id, row: item.row, reason: joined });
          else records.push(joined);
        }
      }
    });
    // One write, one transaction: answered only once every label of the batch is committed.
    const inserted = records.length ? await this.store.insert(records) : 0;
    return {
      inserted,
      joined: records.length,
      unknown: unknownIds.length,
      unusable: unusableItems.length,
      unknownIds: unknownIds.slice(0, MAX_LISTED),
      unusableItems: unusableItems.slice(0, MAX_LISTED),
    };
  }

  private async eachChunk(
    ids: readonly string[],
    scope: PredictionScope,
    use: (found: LoggedPrediction[], chunk: readonly string[]) => void,
  ): Promise<void> {
    for (let at = 0; at < ids.length; at += LOOKUP_CHUNK) {
      const chunk = ids.slice(at, at + LOOKUP_CHUNK);
      use(await this.store.predictions(chunk, scope), chunk);
    }
  }
}

/**
 * Builds a baseline profile from batches of training rows: every input column's distribution, and the
 * distribution of the model's predictions on the same rows (the caller runs the model: `predict`). Pure apart
 * from what the caller passes in.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Tensor, TensorSpec } from '../tensor/index.js';
import { FeatureAccumulator } from './profile-accumulator.js';
import type { ProfileTarget } from './profile-columns.js';
import type { RowBatch } from './profile-data.js';
import { predictionFeatures, predictionValue, type PredictionFeature } from './prediction-features.js';
import type { Profile } from './profile.js';

export interface ProfileProgress {
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface BuildProfileOptions {
  readonly model: string;
  readonly version: string;
  /** The data file, recorded in the profile. */
  readonly source: string;
  readonly target: ProfileTarget;
  /** The model's outputs (dims without the batch dimension). */
  readonly outputs: readonly TensorSpec[];
  readonly batches: AsyncIterable<RowBatch>;
  /** Runs `rows` rows (row-major, `target.columns` each) through the model. May take ownership of `data`. */
  predict(data: Float32Array, rows: number): Promise<readonly Tensor[]>;
  /** Features to profile as categorical whatever their values. */
  readonly categorical?: readonly string[];
  onProgress?(progress: ProfileProgress): void;
  readonly now?: () => Date;
}

function addPredictions(
  accumulators: readonly FeatureAccumulator[],
  features: readonly PredictionFeature[],
  outputs: readonly Tensor[],
  rows: number,
): void {
  features.forEach((f, i) => {
    const t = outputs.find((o) => o.name === f.output);
    if (!t) throw new Error(`the model answered without output '${f.output}'`);
    const perRow = t.data.length / rows;
    for (let r = 0; r < rows; r++) accumulators[i].add(predictionValue(t.data, perRow, r, f.reduce));
  });
}

/** Reads every batch, runs it through the model and returns the profile. */
export async function buildProfile(o: BuildProfileOptions): Promise<Profile> {
  const forced = new Set(o.categorical ?? []);
  let inputs: FeatureAccumulator[] | undefined;
  const predictionSpecs = predictionFeatures(o.outputs);
  const predictions = predictionSpecs.map((f) => new FeatureAccumulator(f.name, f.kind));
  let rows = 0;
  const columns = o.target.columns;
  for await (const batch of o.batches) {
    inputs ??= batch.mapping.names.map((n) => new FeatureAccumulator(n, forced.has(n) ? 'categorical' : undefined));
    for (let r = 0; r < batch.rows; r++) for (let c = 0; c < columns; c++) inputs[c].add(batch.data[r * columns + c]);
    addPredictions(predictions, predictionSpecs, await o.predict(batch.data, batch.rows), batch.rows);
    rows += batch.rows;
    o.onProgress?.({ rows, bytesRead: batch.bytesRead, totalBytes: batch.totalBytes });
  }
  if (!inputs || rows === 0) throw new InvalidArgumentError(`${o.source}: no data rows to profile`);
  const unknown = [...forced].filter((n) => !inputs!.some((a) => a.name === n));
  if (unknown.length)
    throw new InvalidArgumentError(
      `--categorical names ${unknown.join(', ')}, which are not features of the input (features: ${inputs
        .slice(0, 8)
        .map((a) => a.name)
        .join(', ')}…)`,
    );
  return {
    model: o.model,
    version: o.version,
    input: o.target.input,
    columns,
    rows,
    createdAt: (o.now?.() ?? new Date()).toISOString(),
    source: o.source,
    features: inputs.map((a, column) => ({ ...a.finish(), column })),
    predictions: predictions.map((a, i) => ({
      ...a.finish(),
      output: predictionSpecs[i].output,
      reduce: predictionSpecs[i].reduce,
    })),
  };
}

/**
 * A model's feature mapping checked against the feature views and the model's signature, once per loaded
 * version (by its features stage, stages/feature-stage.ts): which views to read, and for each input column where
 * its value comes from. Problems here are
 * configuration mistakes; the model answers 503 naming them until its config is fixed.
 */
import {
  REQUEST_VIEW,
  type FeatureMapping,
  type FeatureSpec,
  type FeatureViewConfig,
  type ModelConfig,
} from '../../config/index.js';
import { ModelNotReadyError } from '../../errors/index.js';
import type { FeatureService } from '../feature-service.js';

export interface PlannedColumn {
  /** A view name, or undefined for a request-time feature. */
  readonly view?: string;
  readonly spec: FeatureSpec;
}

export interface FeaturePlan {
  readonly inputName: string;
  readonly mapping: FeatureMapping;
  readonly columns: readonly PlannedColumn[];
  /** The views the columns read, with their configs. */
  readonly views: readonly FeatureViewConfig[];
  readonly budgetMs: number;
}

function fail(config: ModelConfig, problem: string): never {
  throw new ModelNotReadyError(
    `model '${config.name}' cannot build its input from features: ${problem}; fix its config.yaml 'features:' or the features config`,
  );
}

function inputName(config: ModelConfig, mapping: FeatureMapping): string {
  const name = mapping.input ?? (config.inputs.length === 1 ? config.inputs[0].name : undefined);
  if (!name)
    fail(config, `it has ${config.inputs.length} inputs; name the one built from features with features.input`);
  const spec = config.inputs.find((s) => s.name === name);
  if (!spec)
    fail(config, `features.input '${name}' is not one of its inputs (${config.inputs.map((s) => s.name).join(', ')})`);
  if (
    spec.datatype !== 'FP32' ||
    spec.dims.length !== 1 ||
    (spec.dims[0] !== -1 && spec.dims[0] !== mapping.columns.length)
  ) {
    fail(
      config,
      `input '${name}' must be FP32 with ${mapping.columns.length} columns (one per features.columns entry), but it is ${spec.datatype} [${spec.dims.join(', ')}]`,
    );
  }
  return name;
}

function column(
  config: ModelConfig,
  features: FeatureService | undefined,
  view: string,
  feature: string,
): PlannedColumn {
  if (view === REQUEST_VIEW) return { spec: config.features!.request.find((s) => s.name === feature)! };
  if (!features?.hasView(view))
    fail(config, `column '${view}:${feature}' reads view '${view}', which the features config does not declare`);
  const spec = features.view(view).features.find((f) => f.name === feature);
  if (!spec) fail(config, `view '${view}' has no feature '${feature}'`);
  return { view, spec };
}

/** Training order check: a tree model's own feature names must equal the columns' feature names, in order. */
function checkOrder(config: ModelConfig, columns: readonly PlannedColumn[]): void {
  const names = config.parameters.feature_names?.split(',');
  if (!names) return;
  const mine = columns.map((c) => c.spec.name);
  const at = names.findIndex((n, i) => n !== mine[i]);
  if (names.length !== mine.length || at !== -1) {
    fail(
      config,
      `the model was trained on features [${names.join(', ')}] but features.columns gives [${mine.join(', ')}]` +
        (at >= 0 ? ` (first difference at column ${at})` : ''),
    );
  }
}

/** The plan for a model version's config; throws ModelNotReadyError naming what does not fit. */
export function featurePlan(config: ModelConfig, features: FeatureService | undefined): FeaturePlan {
  const mapping = config.features!;
  const columns = mapping.columns.map((c) => column(config, features, c.view, c.feature));
  checkOrder(config, columns);
  const views = [...new Set(columns.flatMap((c) => (c.view ? [c.view] : [])))].map((v) => features!.view(v));
  return {
    inputName: inputName(config, mapping),
    mapping,
    columns,
    views,
    budgetMs: mapping.budgetMs ?? features?.budgetMs ?? 20,
  };
}

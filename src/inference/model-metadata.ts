import type { ModelConfig } from '../config/index.js';
import type { FeatureService } from '../features/feature-service.js';
import type { Datatype } from '../tensor/index.js';
import { featurePlan } from '../features/enrichment/feature-plan.js';

export interface TensorMetadata {
  readonly name: string;
  readonly datatype: Datatype;
  /** Full shape; a batching model's leading dimension is -1. */
  readonly shape: readonly number[];
}

/** What the metadata endpoints report about a model. */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly parameters?: Readonly<Record<string, string>> | undefined;
}

export function describeTensors(config: ModelConfig, which: 'inputs' | 'outputs'): TensorMetadata[] {
  return config[which].map((s) => ({
    name: s.name,
    datatype: s.datatype,
    shape: config.maxBatchSize > 0 ? [-1, ...s.dims] : [...s.dims],
  }));
}

/**
 * What a client of a feature-backed model sends instead of its full input, as metadata parameters (string values,
 * so the response stays a valid Open Inference Protocol one): `entities`, the keys of the request's
 * `parameters.entities`; `request_inputs` and `request_input_datatypes`, the request-time tensors (one value per
 * row), in the same order. Empty for a model without a `features:` mapping. Entities are left out while the
 * mapping names views the features config lacks (the model then answers 503 saying so).
 *
 * @example fraud_xgb: { entities: 'user_id,merchant_id', request_inputs: 'amount,hour_of_day,card_present',
 *   request_input_datatypes: 'FP32,INT32,BOOL' }
 */
export function featureRequestParameters(
  config: ModelConfig,
  features: FeatureService | undefined,
): Record<string, string> {
  const mapping = config.features;
  if (!mapping) return {};
  const out: Record<string, string> = {};
  const entities = viewEntities(config, features);
  if (entities.length) out.entities = entities.join(',');
  if (mapping.request.length) {
    out.request_inputs = mapping.request.map((s) => s.name).join(',');
    out.request_input_datatypes = mapping.request.map((s) => s.type).join(',');
  }
  return out;
}

function viewEntities(config: ModelConfig, features: FeatureService | undefined): string[] {
  try {
    return [...new Set(featurePlan(config, features).views.flatMap((v) => v.entities.map((e) => e.name)))];
  } catch {
    return [];
  }
}

/** A model's metadata parameters: its config's `parameters` and, for a feature-backed model, what to send. */
export function metadataParameters(
  config: ModelConfig,
  features: FeatureService | undefined,
): Readonly<Record<string, string>> | undefined {
  const all = { ...config.parameters, ...featureRequestParameters(config, features) };
  return Object.keys(all).length ? all : undefined;
}

import type { ModelConfig } from '../config/index.js';
import type { Datatype } from '../tensor/index.js';

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
  readonly parameters?: Readonly<Record<string, string>>;
}

export function describeTensors(config: ModelConfig, which: 'inputs' | 'outputs'): TensorMetadata[] {
  return config[which].map((s) => ({
    name: s.name,
    datatype: s.datatype,
    shape: config.maxBatchSize > 0 ? [-1, ...s.dims] : [...s.dims],
  }));
}

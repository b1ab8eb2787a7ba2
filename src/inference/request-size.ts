/**
 * How large a request body a model can need, so a body no model could take is refused from its Content-Length,
 * before it is read. A model's tensor bytes are its largest batch (max_batch_size rows; 1 for a model that does
 * not batch) times the bytes of one row of all its inputs (the product of their dims times the datatype's size;
 * a BYTES element counts 4 + limits.max_string_bytes). Its body limit is those bytes times
 * limits.json_overhead_factor (JSON text per byte of data: a FP32 value written in full is up to ~24 characters),
 * plus room for the JSON around the data, held between limits.body_limit_floor_bytes and body_limit_bytes (the
 * ceiling). A variable dimension (-1) has no bound: the model gets the ceiling.
 */
import type { ModelConfig } from '../config/index.js';
import { byteSize } from '../tensor/index.js';

export interface BodyLimitPolicy {
  /** The largest body any request may have (the server's body_limit_bytes). */
  readonly ceilingBytes: number;
  /** The smallest derived limit: small models still get room for metadata, names and whitespace. */
  readonly floorBytes: number;
  /** JSON text bytes allowed per byte of tensor data. */
  readonly jsonOverheadFactor: number;
  /** Largest BYTES element (limits.max_string_bytes). */
  readonly maxStringBytes: number;
}

/** Room for the body's names, shape, parameters and punctuation besides the data. */
const ENVELOPE_BYTES = 64 * 1024;

/** The most tensor bytes one request to `config` can carry, or Infinity when a dimension is variable. */
export function modelTensorBytes(config: ModelConfig, maxStringBytes: number): number {
  const rows = Math.max(1, config.maxBatchSize);
  let row = 0;
  for (const spec of config.inputs) {
    let elements = 1;
    for (const d of spec.dims) elements *= d < 0 ? Infinity : d;
    row += elements * (byteSize(spec.datatype) ?? 4 + maxStringBytes);
  }
  return rows * row;
}

/** The body limit of one model (see the file comment). */
export function modelBodyLimit(config: ModelConfig, policy: BodyLimitPolicy): number {
  const bytes = modelTensorBytes(config, policy.maxStringBytes) * policy.jsonOverheadFactor + ENVELOPE_BYTES;
  return Math.min(policy.ceilingBytes, Math.max(policy.floorBytes, Math.ceil(bytes)));
}

/** Per-config results, so a request costs a lookup (configs are replaced, not changed, when a model reloads). */
export class BodyLimits {
  private readonly cache = new WeakMap<ModelConfig, number>();

  constructor(readonly policy: BodyLimitPolicy) {}

  of(config: ModelConfig): number {
    let limit = this.cache.get(config);
    if (limit === undefined) {
      limit = modelBodyLimit(config, this.policy);
      this.cache.set(config, limit);
    }
    return limit;
  }

  /** The largest limit among `configs` (the loaded models); the floor when there are none. */
  largest(configs: Iterable<ModelConfig>): number {
    let limit = this.policy.floorBytes;
    for (const c of configs) limit = Math.max(limit, this.of(c));
    return limit;
  }
}

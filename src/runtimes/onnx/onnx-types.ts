import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { Datatype } from '../../tensor/index.js';

const ORT_TO_V2: Partial<Record<OrtTensor.Type, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

const V2_TO_ORT = Object.fromEntries(Object.entries(ORT_TO_V2).map(([k, v]) => [v, k])) as Partial<
  Record<Datatype, OrtTensor.Type>
>;

export function datatypeFromOrt(type: string): Datatype | undefined {
  return ORT_TO_V2[type as OrtTensor.Type];
}

export function ortTypeOf(datatype: Datatype): OrtTensor.Type | undefined {
  return V2_TO_ORT[datatype];
}

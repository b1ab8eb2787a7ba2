import { isDatatype, type Datatype } from '../tensor/index.js';

/** Triton config datatype names (TYPE_FP32, TYPE_STRING, ...) and V2 names (FP32, BYTES) to V2 names. */
export function parseDatatypeName(name: string): Datatype | undefined {
  const bare = name.startsWith('TYPE_') ? name.slice(5) : name;
  if (bare === 'STRING') return 'BYTES';
  return isDatatype(bare) ? bare : undefined;
}

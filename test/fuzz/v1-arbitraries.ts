/**
 * V1 (TF Serving / KServe V1) predict bodies for the fuzz properties, with the model signatures they are decoded
 * against: row and columnar formats, well-formed from a signature, ragged, mis-typed, deeply nested, b64.
 */
import fc from 'fast-check';
import type { V1Signature } from '../../src/protocol/v1-json.js';
import {
  deepNesting,
  elementOf,
  hostileString,
  hostileValue,
  longString,
  mutateText,
  nest,
  nonUtf8,
  toJsonText,
} from './arbitraries.js';

/** Signatures covering batching and non-batching models, one and several inputs, scalars and BYTES. */
export const V1_SIGNATURES: readonly V1Signature[] = [
  { name: 'fp32_vec', maxBatchSize: 8, inputs: [{ name: 'x', datatype: 'FP32', dims: [4] }] },
  { name: 'strings', maxBatchSize: 8, inputs: [{ name: 's', datatype: 'BYTES', dims: [-1] }] },
  {
    name: 'two',
    maxBatchSize: 4,
    inputs: [
      { name: 'a', datatype: 'INT64', dims: [2] },
      { name: 'b', datatype: 'BOOL', dims: [-1] },
    ],
  },
  { name: 'fixed', maxBatchSize: 0, inputs: [{ name: 'x', datatype: 'INT32', dims: [2, 3] }] },
  { name: 'scalar', maxBatchSize: 0, inputs: [{ name: 'x', datatype: 'FP64', dims: [] }] },
];

export interface V1Case {
  readonly signature: V1Signature;
  readonly body: Buffer;
}

/** One row of `spec` (without the batch dimension): -1 dims get 0 to 3 elements. */
function rowOf(dims: readonly number[], dt: V1Signature['inputs'][number]['datatype']): fc.Arbitrary<unknown> {
  return fc.array(fc.integer({ min: 0, max: 3 }), { minLength: dims.length, maxLength: dims.length }).chain((free) => {
    const shape = dims.map((d, i) => (d === -1 ? free[i] : d));
    const n = shape.reduce((a, b) => a * b, 1);
    const element =
      dt === 'BYTES'
        ? fc.oneof(
            elementOf(dt),
            elementOf(dt).map((s) => ({ b64: Buffer.from(s as string).toString('base64') })),
          )
        : elementOf(dt);
    return fc.array(element, { minLength: n, maxLength: n }).map((data) => nest(data, shape));
  });
}

/** A well-formed body for `sig`: row format (`instances`) or columnar (`inputs`). */
function wellFormedBody(sig: V1Signature): fc.Arbitrary<unknown> {
  if (sig.maxBatchSize === 0) {
    const values = fc.tuple(...sig.inputs.map((s) => rowOf(s.dims, s.datatype)));
    return values.map((vs) =>
      sig.inputs.length === 1
        ? { inputs: vs[0] }
        : { inputs: Object.fromEntries(sig.inputs.map((s, i) => [s.name, vs[i]])) },
    );
  }
  // Every row of one input must share its shape, so rows repeat one generated row per input.
  return fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.tuple(...sig.inputs.map((s) => rowOf(s.dims, s.datatype))), fc.boolean())
    .map(([n, rows, columnar]) => {
      if (columnar) {
        const cols = Object.fromEntries(sig.inputs.map((s, i) => [s.name, Array.from({ length: n }, () => rows[i])]));
        return { inputs: sig.inputs.length === 1 ? cols[sig.inputs[0].name] : cols };
      }
      const instances = Array.from({ length: n }, () =>
        sig.inputs.length === 1 ? rows[0] : Object.fromEntries(sig.inputs.map((s, i) => [s.name, rows[i]])),
      );
      return { instances };
    });
}

const ragged = fc.array(fc.array(fc.oneof(fc.integer(), fc.array(fc.integer(), { maxLength: 3 })), { maxLength: 4 }), {
  minLength: 1,
  maxLength: 4,
});

/** Hostile bodies: both or neither format, ragged lists, wrong element types, b64 objects anywhere, huge values. */
const hostileBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      instances: fc.oneof(ragged, hostileValue, fc.constant([longString(1_100_000)])),
      inputs: fc.oneof(ragged, hostileValue),
    },
    { requiredKeys: [] },
  ),
  fc.record({
    instances: fc.array(
      fc.dictionary(fc.oneof(fc.constantFrom('x', 'a', 'b', 's'), hostileString), hostileValue, { maxKeys: 4 }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({
    inputs: fc.dictionary(
      fc.oneof(fc.constantFrom('x', 'a', 'b', 's'), hostileString),
      fc.oneof(ragged, hostileValue),
      { maxKeys: 300 },
    ),
  }),
  fc.record({
    instances: fc.array(fc.record({ b64: fc.oneof(fc.base64String(), hostileString) }), { minLength: 1, maxLength: 3 }),
  }),
  fc.integer({ min: 20, max: 100 }).map((k) => ({
    instances: [
      nest(
        [1],
        Array.from({ length: k }, () => 1),
      ),
    ],
  })),
  hostileValue,
);

function bodyFor(sig: V1Signature): fc.Arbitrary<Buffer> {
  const value = fc.oneof({ arbitrary: wellFormedBody(sig), weight: 4 }, { arbitrary: hostileBody, weight: 4 });
  return fc.oneof(
    { arbitrary: value.map((v) => Buffer.from(toJsonText(v))), weight: 8 },
    { arbitrary: value.chain((v) => mutateText(toJsonText(v))).map((t) => Buffer.from(t)), weight: 3 },
    { arbitrary: deepNesting.map((t) => Buffer.from(t.replace('"inputs"', '"instances"'))), weight: 1 },
    { arbitrary: nonUtf8, weight: 1 },
  );
}

/** A signature and a body to decode against it. */
export const v1Case: fc.Arbitrary<V1Case> = fc
  .constantFrom(...V1_SIGNATURES)
  .chain((signature) => bodyFor(signature).map((body) => ({ signature, body })));

/** Well-formed bodies only, which must decode. */
export const wellFormedV1: fc.Arbitrary<V1Case> = fc
  .constantFrom(...V1_SIGNATURES)
  .chain((signature) => wellFormedBody(signature).map((v) => ({ signature, body: Buffer.from(toJsonText(v)) })));

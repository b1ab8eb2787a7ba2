/**
 * ModelInferRequest messages for the fuzz properties, as the bytes a client sends: well-formed requests (typed
 * contents or raw_input_contents), hostile field values (overflowing int64 shapes, wrong contents fields, raw
 * BYTES with bad length prefixes, hundreds of inputs), and the serialised bytes truncated, flipped or random.
 */
import fc from 'fast-check';
import { inferenceServiceDefinition } from '../../src/transport/grpc/proto-loader.js';
import { tensorDataFromJson, tensorDataToRaw, type Datatype } from '../../src/tensor/index.js';
import { hostileString, longString, product, tensorOf, type JsonTensorValue } from './arbitraries.js';

const definition = inferenceServiceDefinition().ModelInfer!;

/** Serialises a ModelInferRequest object as grpc-js would (protobufjs fromObject, then encode). */
export function serializeInferRequest(message: object): Buffer {
  return definition.requestSerialize(message);
}

const CONTENTS_FIELD: Partial<Record<Datatype, string>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

function rawOf(t: JsonTensorValue): Buffer {
  return Buffer.from(tensorDataToRaw(tensorDataFromJson(t.data, t.datatype, t.shape, product(t.shape), 'fuzz')));
}

/** Typed contents for a tensor, or undefined for FP16/BF16 (which travel raw only). */
function contentsOf(t: JsonTensorValue): Record<string, unknown> | undefined {
  const field = CONTENTS_FIELD[t.datatype];
  if (!field) return undefined;
  const values =
    t.datatype === 'BYTES'
      ? t.data.map((s) => Buffer.from(s as string))
      : t.data.map((v) =>
          v === null
            ? NaN
            : typeof v === 'number' && (t.datatype === 'INT64' || t.datatype === 'UINT64')
              ? String(v)
              : v,
        );
  return { [field]: values };
}

function inferInput(t: JsonTensorValue, contents?: Record<string, unknown>): Record<string, unknown> {
  return { name: t.name, datatype: t.datatype, shape: t.shape.map(String), contents };
}

const tensors = fc.uniqueArray(tensorOf(fc.constantFrom('a', 'b', 'c', 'd')), {
  minLength: 1,
  maxLength: 4,
  selector: (t) => t.name,
});

/** Well-formed requests and the tensors they carry (raw when any is FP16/BF16 or when chosen). */
export const wellFormedGrpc: fc.Arbitrary<{ message: object; tensors: JsonTensorValue[] }> = fc
  .tuple(tensors, fc.boolean(), fc.constantFrom('m', 'digits'))
  .map(([ts, raw]) => {
    const useRaw = raw || ts.some((t) => !CONTENTS_FIELD[t.datatype]);
    const message = {
      model_name: 'm',
      inputs: ts.map((t) => inferInput(t, useRaw ? undefined : contentsOf(t))),
      raw_input_contents: useRaw ? ts.map(rawOf) : [],
    };
    return { message, tensors: ts };
  });

const int64Text = fc.oneof(
  fc.integer({ min: -3, max: 5 }).map(String),
  fc.constantFrom('-1', '2147483648', '4294967296', '9007199254740993', '9223372036854775807', '-9223372036854775808'),
);

/** Raw BYTES contents with length prefixes that lie (past the end, 0xFFFFFFFF, one byte short). */
const lyingBytes = fc
  .tuple(fc.constantFrom(0, 5, 0x7fffffff, 0xffffffff, 1_100_000), fc.uint8Array({ maxLength: 12 }))
  .map(([length, rest]) => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(length);
    return Buffer.concat([head, Buffer.from(rest)]);
  });

const hostileInput = fc.record(
  {
    name: fc.oneof(fc.constantFrom('a', 'b', ''), hostileString),
    datatype: fc.oneof(fc.constantFrom('FP32', 'INT64', 'BYTES', 'BOOL', 'FP16', 'UINT8', 'UINT64'), hostileString),
    shape: fc.array(int64Text, { maxLength: 5 }),
    contents: fc.record(
      {
        bool_contents: fc.array(fc.boolean(), { maxLength: 4 }),
        int_contents: fc.array(fc.integer(), { maxLength: 4 }),
        int64_contents: fc.array(int64Text, { maxLength: 4 }),
        uint_contents: fc.array(fc.nat(), { maxLength: 4 }),
        uint64_contents: fc.array(fc.constantFrom('0', '18446744073709551615', '5'), { maxLength: 4 }),
        fp32_contents: fc.array(fc.double(), { maxLength: 4 }),
        fp64_contents: fc.array(fc.double(), { maxLength: 4 }),
        bytes_contents: fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
            fc.constant(Buffer.from(longString(1_100_000))),
          ),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);

/** A request built from hostile parts, or a well-formed one with a hostile twist. */
const hostileMessage: fc.Arbitrary<object> = fc.oneof(
  fc.record({
    model_name: fc.oneof(fc.constant('m'), hostileString),
    inputs: fc.oneof(
      fc.array(hostileInput, { maxLength: 4 }),
      fc.constant(
        Array.from({ length: 300 }, (_, i) => ({
          name: `i${i}`,
          datatype: 'FP32',
          shape: ['1'],
          contents: { fp32_contents: [1] },
        })),
      ),
    ),
    raw_input_contents: fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
        lyingBytes,
      ),
      { maxLength: 4 },
    ),
  }),
  fc.tuple(wellFormedGrpc, lyingBytes).map(([{ message }, bytes]) => ({
    ...message,
    raw_input_contents: (message as { inputs: unknown[] }).inputs.map(() => bytes),
  })),
  fc.tuple(wellFormedGrpc, fc.array(int64Text, { minLength: 1, maxLength: 4 })).map(([{ message }, shape]) => ({
    ...message,
    inputs: (message as { inputs: Array<Record<string, unknown>> }).inputs.map((i) => ({ ...i, shape })),
  })),
  fc.tuple(wellFormedGrpc, fc.nat({ max: 3 })).map(([{ message }, drop]) => ({
    ...message,
    raw_input_contents: (message as { raw_input_contents: Buffer[] }).raw_input_contents.slice(drop),
  })),
);

/** Bytes of a message, sometimes damaged on the wire: truncated, a byte flipped, garbage appended, or random. */
export function damaged(bytes: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { arbitrary: fc.constant(bytes), weight: 6 },
    { arbitrary: fc.nat({ max: bytes.length }).map((i) => bytes.subarray(0, i)), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 }))
        .map(([i, b]) => {
          const copy = Buffer.from(bytes);
          if (i < copy.length) copy[i] = b;
          return copy;
        }),
      weight: 2,
    },
    {
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((tail) => Buffer.concat([bytes, tail])),
      weight: 1,
    },
  );
}

/** ModelInferRequest bytes: well-formed, hostile, damaged, or random. */
export const grpcRequestBytes: fc.Arbitrary<Buffer> = fc.oneof(
  {
    arbitrary: fc
      .oneof(
        wellFormedGrpc.map((w) => w.message),
        hostileMessage,
      )
      .map(serializeInferRequest)
      .chain(damaged),
    weight: 12,
  },
  { arbitrary: fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b)), weight: 1 },
  // Start-group tags nested deeper than any stack: the parser must refuse, not overflow.
  { arbitrary: fc.integer({ min: 10, max: 100_000 }).map((k) => Buffer.alloc(k, 0x0b)), weight: 1 },
);

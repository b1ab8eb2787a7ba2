/**
 * V2 request bodies for the fuzz properties: JSON bodies (well-formed, mutated and hostile) and binary-tensor
 * bodies (a JSON header of Inference-Header-Content-Length bytes, then raw tensor bytes), well-formed or broken.
 */
import fc from 'fast-check';
import { tensorDataFromJson, tensorDataToRaw } from '../../src/tensor/index.js';
import {
  deepNesting,
  hostileNumber,
  hostileScalar,
  hostileShape,
  hostileValue,
  inputName,
  longString,
  mutateText,
  nest,
  nonUtf8,
  product,
  tensorOf,
  toJsonText,
  type JsonTensorValue,
} from './arbitraries.js';

/** A well-formed V2 JSON input, its data flat or nested. */
const wellFormedInput = fc
  .tuple(tensorOf(inputName), fc.boolean())
  .map(([t, nested]) => ({ ...t, data: nested && t.shape.length > 1 ? (nest(t.data, t.shape) as unknown[]) : t.data }));

/** An input with one field replaced by something hostile, or dropped. */
const mutatedInput = fc
  .tuple(
    wellFormedInput,
    fc.constantFrom('name', 'datatype', 'shape', 'data', 'parameters'),
    hostileValue,
    fc.boolean(),
  )
  .map(([t, field, value, drop]) => {
    const copy: Record<string, unknown> = { ...t };
    if (drop) delete copy[field];
    else copy[field] = field === 'shape' ? (value ?? []) : value;
    return copy;
  });

/** An input made of hostile parts, including claimed shapes far larger than the data. */
const hostileInput = fc.record(
  {
    name: fc.oneof(inputName, hostileScalar),
    datatype: fc.oneof(fc.constantFrom('FP32', 'INT64', 'BYTES', 'BOOL', 'FP16', 'UINT64'), hostileScalar),
    shape: hostileShape,
    data: fc.oneof(
      fc.array(hostileScalar, { maxLength: 6 }),
      hostileValue,
      fc.constantFrom(['9'.repeat(5000)], [longString(2_000_000, '7')], ['-' + '1'.repeat(30)]),
    ),
    parameters: fc.oneof(hostileValue, fc.record({ binary_data_size: hostileNumber })),
  },
  { requiredKeys: [] },
);

const anyInput = fc.oneof(
  { arbitrary: wellFormedInput, weight: 4 },
  { arbitrary: mutatedInput, weight: 3 },
  { arbitrary: hostileInput, weight: 3 },
);

/** Input lists: a few inputs, duplicated names, more than max_inputs, or not a list. */
const inputsField = fc.oneof(
  { arbitrary: fc.array(anyInput, { minLength: 1, maxLength: 4 }), weight: 8 },
  { arbitrary: anyInput.map((i) => [i, i]), weight: 1 },
  { arbitrary: tensorOf(fc.constantFrom('x', 'y')).map((i) => Array.from({ length: 300 }, () => i)), weight: 1 },
  { arbitrary: hostileValue, weight: 1 },
);

/** A V2 request as a JS value (before serialisation). */
export const v2Request: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 8 }), hostileScalar),
    inputs: inputsField,
    outputs: fc.oneof(fc.constant([{ name: 'y' }]), hostileValue),
    parameters: fc.oneof(fc.constant({ priority: 1 }), fc.constant({ binary_data_output: true }), hostileValue),
  },
  { requiredKeys: ['inputs'] },
);

/** V2 JSON bodies as bytes: serialised requests, mutated texts, deep nesting, random and non-UTF-8 bytes. */
export const v2JsonBody: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: v2Request.map((r) => Buffer.from(toJsonText(r))), weight: 10 },
  { arbitrary: v2Request.chain((r) => mutateText(toJsonText(r))).map((t) => Buffer.from(t)), weight: 4 },
  { arbitrary: deepNesting.map((t) => Buffer.from(t)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 64 }).map((t) => Buffer.from(t)), weight: 1 },
  { arbitrary: nonUtf8, weight: 1 },
);

/** A binary-tensor body: the bytes and the Inference-Header-Content-Length value sent with them. */
export interface BinaryBody {
  readonly body: Buffer;
  readonly headerLength: string;
}

/** Well-formed: every input's data as raw bytes after the JSON header, in order. */
function binaryBody(
  tensors: readonly JsonTensorValue[],
  asBinary: readonly boolean[],
): { json: Buffer; raw: Buffer[] } {
  const raw: Buffer[] = [];
  const inputs = tensors.map((t, i) => {
    if (!asBinary[i]) return t;
    const bytes = Buffer.from(
      tensorDataToRaw(tensorDataFromJson(t.data, t.datatype, t.shape, product(t.shape), 'fuzz')),
    );
    raw.push(bytes);
    return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.length } };
  });
  return { json: Buffer.from(toJsonText({ inputs })), raw };
}

const distinctTensors = fc.uniqueArray(tensorOf(fc.constantFrom('a', 'b', 'c', 'd')), {
  minLength: 1,
  maxLength: 4,
  selector: (t) => t.name,
});

export const wellFormedBinary: fc.Arbitrary<BinaryBody> = distinctTensors
  .chain((ts) => fc.tuple(fc.constant(ts), fc.array(fc.boolean(), { minLength: ts.length, maxLength: ts.length })))
  .map(([ts, asBinary]) => {
    const { json, raw } = binaryBody(ts, asBinary);
    return { body: Buffer.concat([json, ...raw]), headerLength: String(json.length) };
  });

/** Overwrites 4 bytes at `at` with a little-endian uint32 (a BYTES length prefix, when it lands on one). */
function withUint32(body: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(body);
  if (at + 4 <= copy.length) copy.writeUInt32LE(value >>> 0, at);
  return copy;
}

/** Broken binary bodies: wrong header lengths, truncated or padded data, bad BYTES prefixes, bad sizes. */
export const brokenBinary: fc.Arbitrary<BinaryBody> = wellFormedBinary.chain(({ body, headerLength }) => {
  const header = Number(headerLength);
  const at = fc.nat({ max: body.length });
  return fc.oneof(
    fc
      .constantFrom(
        '0',
        '-1',
        '',
        'abc',
        '1e3',
        ' 5',
        '99999999999999999999',
        String(header + 1),
        String(Math.max(0, header - 1)),
        String(body.length + 1),
        `${header}, ${header}`,
      )
      .map((h) => ({ body, headerLength: h })),
    at.map((i) => ({ body: body.subarray(0, Math.max(header, i)), headerLength })),
    fc
      .uint8Array({ minLength: 1, maxLength: 32 })
      .map((extra) => ({ body: Buffer.concat([body, extra]), headerLength })),
    fc
      .tuple(
        fc.nat({ max: Math.max(0, body.length - header) }),
        fc.constantFrom(0, 1, 3, 2 ** 31, 0xffffffff, 0x7fffffff, 1_100_000),
      )
      .map(([i, v]) => ({ body: withUint32(body, header + i, v), headerLength })),
    fc
      .tuple(fc.nat({ max: Math.max(0, body.length - header - 1) }), fc.constantFrom(0x80, 0xff, 0xc0, 0xed))
      .map(([i, b]) => {
        const copy = Buffer.from(body);
        if (header + i < copy.length) copy[header + i] = b;
        return { body: copy, headerLength };
      }),
    fc.tuple(hostileNumber, fc.boolean()).map(([size, asString]) => {
      const json = body
        .subarray(0, header)
        .toString('utf8')
        .replace(
          /"binary_data_size":\d+/,
          `"binary_data_size":${asString ? JSON.stringify(String(size)) : toJsonText(size)}`,
        );
      const head = Buffer.from(json);
      return { body: Buffer.concat([head, body.subarray(header)]), headerLength: String(head.length) };
    }),
  );
});

/** Binary bodies whose header is any V2 JSON body (hostile ones included), followed by random bytes. */
export const hostileBinary: fc.Arbitrary<BinaryBody> = fc
  .tuple(v2JsonBody, fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 2 }))
  .map(([json, tail, skew]) => ({
    body: Buffer.concat([json, tail]),
    headerLength: String(Math.max(0, json.length + skew)),
  }));

export const anyBinary: fc.Arbitrary<BinaryBody> = fc.oneof(
  { arbitrary: wellFormedBinary, weight: 2 },
  { arbitrary: brokenBinary, weight: 5 },
  { arbitrary: hostileBinary, weight: 3 },
);

/** Well-formed V2 JSON requests whose decoded values can be compared with the generated ones. */
export const wellFormedV2 = distinctTensors.map((inputs) => ({ inputs }));

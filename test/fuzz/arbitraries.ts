/**
 * fast-check generators shared by the decoder fuzz properties: well-formed tensors of every datatype (as JSON
 * values) and hostile values (wrong types, overflowing shapes, huge strings, deep nesting, non-UTF-8 text).
 */
import fc from 'fast-check';
import { DATATYPES, INTEGER_RANGES, type Datatype } from '../../src/tensor/index.js';

/** A tensor as a V2 JSON input carries it: elements as JSON values (64-bit integers as numbers or strings). */
export interface JsonTensorValue {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly data: unknown[];
}

/** The few long strings the generators use, built once each (fast-check keeps generated values around). */
const repeated = new Map<string, string>();
export function longString(n: number, unit = 'x'): string {
  const key = `${unit}:${n}`;
  let s = repeated.get(key);
  if (s === undefined) {
    s = unit.repeat(n);
    if (repeated.size < 16) repeated.set(key, s);
  }
  return s;
}

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  maxLength: 4,
});

/** Strings a decoder must survive: empty, unicode, lone surrogates, and a few that are far too long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 12 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
  { arbitrary: loneSurrogates, weight: 1 },
  {
    arbitrary: fc.constantFrom('', 'FP32', 'BYTES', 'fp32', '__proto__', 'constructor', '1e999', '-0', '9'.repeat(400)),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(70_000, 1_100_000).map((n) => longString(n)), weight: 1 },
);

/** Numbers a decoder must survive: negative, fractional, past 2^31, 2^53 and 2^64, -0, infinities, NaN. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -5, max: 10 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 63,
    2 ** 64,
    1e308,
    -1,
    -(2 ** 31) - 1,
    0.5,
    -0,
    Infinity,
    -Infinity,
    NaN,
  ),
);

export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileNumber,
  hostileString,
  fc.boolean(),
  fc.constant(null),
);

/** Any JSON-ish value, nested a few levels (objects and arrays of hostile scalars). */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** Shapes: small and valid, overflowing (products past 2^31 and 2^53), or not shapes at all. */
export const hostileShape: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
  fc.array(fc.constantFrom(0, 1, 3, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, -1, 1.5), {
    minLength: 1,
    maxLength: 6,
  }),
  fc.array(hostileScalar, { maxLength: 4 }),
  hostileScalar,
);

/** One well-formed element of `datatype` as JSON carries it. */
export function elementOf(datatype: Datatype): fc.Arbitrary<unknown> {
  switch (datatype) {
    case 'BOOL':
      return fc.boolean();
    case 'INT64':
      return fc
        .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        .map((b) => (Number.isSafeInteger(Number(b)) && BigInt(Number(b)) === b ? Number(b) : b.toString()));
    case 'UINT64':
      return fc
        .bigInt({ min: 0n, max: 2n ** 64n - 1n })
        .map((b) => (b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString()));
    case 'FP16':
    case 'BF16':
    case 'FP32':
    case 'FP64':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constant(null));
    case 'BYTES':
      return fc.string({ unit: 'binary', maxLength: 16 });
    default: {
      const [min, max] = INTEGER_RANGES[datatype]!;
      return fc.integer({ min, max });
    }
  }
}

export const datatype = fc.constantFrom(...DATATYPES);

/** A small shape: rank 0 to 3, each dimension 0 to 4. */
export const smallShape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

export function product(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A well-formed tensor of `datatype` named `name`, with a small shape and exactly as many elements. */
export function tensorOf(
  name: fc.Arbitrary<string>,
  dt: fc.Arbitrary<Datatype> = datatype,
  shape: fc.Arbitrary<number[]> = smallShape,
): fc.Arbitrary<JsonTensorValue> {
  return fc
    .tuple(name, dt, shape)
    .chain(([n, d, s]) =>
      fc
        .array(elementOf(d), { minLength: product(s), maxLength: product(s) })
        .map((data) => ({ name: n, datatype: d, shape: s, data })),
    );
}

/** Elements nested along the shape (V2 and V1 accept nested lists), row-major. */
export function nest(data: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return data[0];
  const [first, ...rest] = shape;
  const stride = product(rest);
  return Array.from({ length: first }, (_, i) =>
    rest.length === 0 ? data[i] : nest(data.slice(i * stride, (i + 1) * stride), rest),
  );
}

export const inputName = fc.oneof(
  { arbitrary: fc.constantFrom('x', 'input', 'a', 'b'), weight: 4 },
  { arbitrary: hostileString, weight: 1 },
);

/** JSON text of a value; 64-bit integers (bigint) become digits, non-finite numbers the literals JSON lacks. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Ways a JSON text is broken in transit or on purpose. */
export function mutateText(text: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: Math.max(0, text.length) });
  return fc.oneof(
    at.map((i) => text.slice(0, i)),
    fc
      .tuple(at, fc.constantFrom('[', ']', '{', '}', '"', ',', ':', '\\', '\u0000', '1e999', '-', 'NaN', '\ud800'))
      .map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    fc
      .constantFrom('1e999', '-1e999', '1e-400', '-0', '18446744073709551616', '1'.repeat(40))
      .map((n) => text.replace(/-?\d+(\.\d+)?/, n)),
    fc.integer({ min: 1, max: 200_000 }).map((k) => text.replace('[', longString(k, '['))),
  );
}

/** Bodies nested far deeper than any limit, in arrays or objects. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50, max: 300_000 }), fc.boolean())
  .map(([k, arrays]) =>
    arrays
      ? `{"inputs":${longString(k, '[')}${longString(k, ']')}}`
      : `${longString(k, '{"a":')}1${longString(k, '}')}`,
  );

/** Bytes that are not UTF-8 (lone continuation bytes, overlong forms, 0xFF), sometimes around JSON. */
export const nonUtf8: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom(
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc0, 0x80]),
      Buffer.from([0x80]),
      Buffer.from([0xed, 0xa0, 0x80]),
    ),
    fc.boolean(),
  )
  .map(([random, bad, json]) =>
    json
      ? Buffer.concat([
          Buffer.from('{"inputs":[{"name":"'),
          bad,
          Buffer.from('","datatype":"BYTES","shape":[1],"data":["'),
          bad,
          Buffer.from('"]}]}'),
        ])
      : Buffer.concat([Buffer.from(random), bad]),
  );

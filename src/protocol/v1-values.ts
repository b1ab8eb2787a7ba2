/**
 * TF Serving's JSON values, which carry no shape: the shape of a nested list, its elements in row-major order
 * (checking it is not ragged), and tensors written back as nested lists.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { isBigIntType, tensorDataToJson, type Tensor } from '../tensor/index.js';

/** Deeper nesting than any model's rank is refused before walking it. */
const MAX_RANK = 32;

/** True for TF's `{"b64": "..."}` encoding of a BYTES element. */
export function isB64(v: unknown): v is { b64: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { b64?: unknown }).b64 === 'string'
  );
}

/** The shape of a nested list, read along its first elements. */
export function shapeOf(value: unknown, what: string): number[] {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) {
    if (shape.length === MAX_RANK)
      throw new InvalidArgumentError(`${what}: the value is nested deeper than ${MAX_RANK} levels`);
    shape.push(v.length);
    if (v.length === 0) break;
  }
  return shape;
}

function raggedError(
  what: string,
  root: string,
  path: readonly number[],
  found: unknown,
  expected: readonly number[],
): InvalidArgumentError {
  const where = root + path.map((i) => `[${i}]`).join('');
  const got = Array.isArray(found) ? `a list of ${found.length}` : 'a single value';
  const want = expected.length ? `a list of ${expected[0]}` : 'a single value';
  return new InvalidArgumentError(
    `${what}: ${where} is ${got} where ${want} was expected; every row must have the same shape`,
  );
}

/**
 * The elements of a regular nested list of `shape`, row-major; `{"b64": ...}` decoded when `base64` is set.
 * `root` names the value in messages (e.g. `instances`).
 */
export function flattenValue(
  value: unknown,
  shape: readonly number[],
  base64: boolean,
  root: string,
  what: string,
): unknown[] {
  const out: unknown[] = [];
  const path: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw raggedError(what, root, path, v, []);
      out.push(base64 && isB64(v) ? Buffer.from(v.b64, 'base64').toString('utf8') : v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw raggedError(what, root, path, v, shape.slice(depth));
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  return out;
}

/** Every element as JSON text: exact digits for 64-bit integers, null for NaN and infinities (as V2 writes them). */
function elementTexts(t: Tensor): string[] {
  if (t.datatype === 'BYTES') return (t.data as string[]).map((s) => JSON.stringify(s));
  if (isBigIntType(t.datatype)) return Array.from(t.data as BigInt64Array, String);
  return tensorDataToJson(t.data, t.datatype).map((v) =>
    typeof v === 'number' && !Number.isFinite(v) ? 'null' : String(v),
  );
}

function nested(texts: readonly string[], shape: readonly number[], depth: number, start: number): string {
  if (depth === shape.length) return texts[start];
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) stride *= shape[d];
  const parts: string[] = [];
  for (let i = 0; i < shape[depth]; i++) parts.push(nested(texts, shape, depth + 1, start + i * stride));
  return `[${parts.join(',')}]`;
}

/** A tensor as one nested JSON list (a bare value for rank 0). */
export function tensorText(t: Tensor): string {
  return nested(elementTexts(t), t.shape, 0, 0);
}

/** A tensor split along its first dimension, each row as JSON text; a rank-0 tensor is one row. */
export function rowTexts(t: Tensor): string[] {
  const texts = elementTexts(t);
  if (t.shape.length === 0) return [texts[0]];
  const stride = t.shape[0] === 0 ? 0 : texts.length / t.shape[0];
  return Array.from({ length: t.shape[0] }, (_, i) => nested(texts, t.shape, 1, i * stride));
}

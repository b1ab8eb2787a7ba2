/**
 * Input hardening shared by every decoder (V2 JSON and binary, V1, gRPC): how many tensors a request may carry
 * and how long one BYTES element may be. The server config's `limits:` section sets them; JSON depth is checked
 * on the text before parsing (`assertJsonDepth` in v2-json.ts). Element counts are checked by `elementCount`
 * (tensor/shape.ts) on the declared shape, before anything is allocated.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';

export interface DecodeLimits {
  /** Most tensors in one request's inputs. */
  readonly maxInputs: number;
  /** Largest BYTES element, in UTF-8 bytes. */
  readonly maxStringBytes: number;
}

/** The defaults of the server config's `limits:` section. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({ maxInputs: 256, maxStringBytes: 1024 * 1024 });

/** Refuses a request with more tensors than the limit, before any of them is decoded. */
export function assertInputCount(count: number, limits: DecodeLimits, field = 'inputs'): void {
  if (count > limits.maxInputs) {
    throw new InvalidArgumentError(
      `the request has ${count} ${field}, above the limit of ${limits.maxInputs} (limits.max_inputs); send fewer tensors`,
    );
  }
}

/** Refuses one string longer than the limit (cheap test first: UTF-8 bytes >= UTF-16 units, and <= 3 per unit). */
export function assertStringLength(s: string, maxBytes: number, what: string, index: number): void {
  if (s.length * 3 <= maxBytes) return;
  assertEncodedLength(Buffer.byteLength(s, 'utf8'), maxBytes, what, index);
}

/** A caller-supplied value as an error message shows it: JSON, cut to `max` characters (messages are logged and sent back). */
export function shown(value: unknown, max = 64): string {
  const text =
    typeof value === 'string' ? JSON.stringify(value.slice(0, max + 1)) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** A caller-supplied name as messages quote it: cut to 64 characters. */
export function shownName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}...` : name;
}

/** Refuses BYTES elements longer than the limit; other datatypes pass through. */
export function checkStrings(t: Tensor, maxBytes: number): Tensor {
  if (t.datatype !== 'BYTES') return t;
  const strings = t.data as string[];
  for (let i = 0; i < strings.length; i++) assertStringLength(strings[i]!, maxBytes, `input '${shownName(t.name)}'`, i);
  return t;
}

/** Refuses an encoded BYTES element longer than the limit before it is decoded into a string. */
export function assertEncodedLength(bytes: number, maxBytes: number, what: string, index: number): void {
  if (bytes > maxBytes) {
    throw new InvalidArgumentError(
      `${what}: element ${index} is ${bytes} bytes, above the limit of ${maxBytes} (limits.max_string_bytes); send shorter strings`,
    );
  }
}

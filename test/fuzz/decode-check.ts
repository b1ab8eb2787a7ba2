/**
 * The contract every request decoder is held to under fuzzing: it returns a well-formed request or throws an
 * InferenceError whose code maps to a 4xx status, with a message short enough to log; it never throws anything
 * else, finishes within a time budget, and allocates no more than a small multiple of the bytes it was given.
 */
import { InferenceError } from '../../src/errors/index.js';
import type { InferenceRequest } from '../../src/inference/types.js';
import type { DecodeLimits } from '../../src/protocol/decode-limits.js';
import { byteSize, elementCount, isBigIntType, isDatatype, type Tensor } from '../../src/tensor/index.js';
import { HTTP_STATUS } from '../../src/transport/http/status.js';

/**
 * Most CPU time a single decode may spend (a guard against inputs that make a decoder blow up). CPU time, not
 * wall-clock time: a decode is synchronous, so what it spends does not grow when the machine is busy and the
 * process waits for a core. The slowest case is reported.
 */
export const CASE_BUDGET_MS = Number(process.env.FUZZ_CASE_BUDGET_MS ?? 1500);

/** CPU time this process has spent (user and system), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
/** Longest error message a decoder may produce (it is logged and sent back; it must not echo the body). */
export const MAX_MESSAGE_CHARS = 2048;
/** Decoded storage may be a few times its wire size (JSON "1," → 8 bytes of FP64), never more. */
const GROWTH_FACTOR = 16;
const GROWTH_SLACK_BYTES = 4 * 1024 * 1024;

/** What a run of cases did, for the report. */
export interface FuzzTally {
  cases: number;
  decoded: number;
  refused: number;
  slowestMs: number;
  largestGrowthBytes: number;
}

export function newTally(): FuzzTally {
  return { cases: 0, decoded: 0, refused: 0, slowestMs: 0, largestGrowthBytes: 0 };
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}: ${err.message.slice(0, 300)}`;
  return String(err).slice(0, 300);
}

function assertRefusal(err: unknown): void {
  if (!(err instanceof InferenceError))
    throw new Error(`the decoder threw ${describe(err)}; only an InferenceError may escape`, { cause: err });
  const status = HTTP_STATUS[err.code];
  if (!(status >= 400 && status < 500))
    throw new Error(
      `the decoder refused with ${err.code} (HTTP ${status}); a malformed request is a 4xx: ${err.message.slice(0, 300)}`,
    );
  if (err.message.length === 0 || err.message.length > MAX_MESSAGE_CHARS) {
    throw new Error(
      `the decoder's message is ${err.message.length} characters (limit ${MAX_MESSAGE_CHARS}): ${err.message.slice(0, 200)}...`,
    );
  }
}

/**
 * Runs one decode under the contract. Returns the decoded value, or undefined when the decoder refused the input
 * properly; throws (failing the property) on any breach. `inputBytes` is the size of what was decoded.
 */
export function checkDecode<T>(tally: FuzzTally, inputBytes: number, decode: () => T): T | undefined {
  const before = process.memoryUsage().arrayBuffers;
  const start = cpuMs();
  let result: T | undefined;
  let refused = false;
  try {
    result = decode();
  } catch (err) {
    assertRefusal(err);
    refused = true;
  }
  const ms = cpuMs() - start;
  const grown = process.memoryUsage().arrayBuffers - before;
  if (ms > CASE_BUDGET_MS)
    throw new Error(`decoding ${inputBytes} bytes took ${ms.toFixed(0)} ms of CPU (budget ${CASE_BUDGET_MS} ms)`);
  if (grown > GROWTH_FACTOR * inputBytes + GROWTH_SLACK_BYTES)
    throw new Error(`decoding ${inputBytes} bytes grew array buffers by ${grown} bytes`);
  tally.cases++;
  if (refused) tally.refused++;
  else tally.decoded++;
  tally.slowestMs = Math.max(tally.slowestMs, ms);
  tally.largestGrowthBytes = Math.max(tally.largestGrowthBytes, grown);
  return result;
}

function checkStorage(t: Tensor, limits: DecodeLimits): void {
  const what = `input '${t.name.slice(0, 40)}'`;
  const count = elementCount(t.shape, what);
  if (t.data.length !== count)
    throw new Error(`${what}: shape [${t.shape.join(',')}] has ${count} elements but data has ${t.data.length}`);
  if (t.datatype === 'BYTES') {
    if (!Array.isArray(t.data) || !t.data.every((s) => typeof s === 'string'))
      throw new Error(`${what}: BYTES data is not strings`);
    const long = t.data.find((s) => Buffer.byteLength(s) > limits.maxStringBytes);
    if (long !== undefined)
      throw new Error(
        `${what}: a ${Buffer.byteLength(long)}-byte string passed the ${limits.maxStringBytes}-byte limit`,
      );
    return;
  }
  if (Array.isArray(t.data) || !ArrayBuffer.isView(t.data))
    throw new Error(`${what}: ${t.datatype} data is not a typed array`);
  if (t.data.BYTES_PER_ELEMENT !== byteSize(t.datatype))
    throw new Error(`${what}: ${t.datatype} stored with ${t.data.BYTES_PER_ELEMENT}-byte elements`);
  if (count > 0 && isBigIntType(t.datatype) !== (typeof t.data[0] === 'bigint'))
    throw new Error(`${what}: ${t.datatype} storage has the wrong element kind`);
}

/** Throws unless `request` is well-formed: inputs within the limit, each with a name, datatype, shape and exactly its data. */
export function assertWellFormedRequest(request: InferenceRequest, limits: DecodeLimits): void {
  if (request.inputs.length === 0 || request.inputs.length > limits.maxInputs)
    throw new Error(`decoded ${request.inputs.length} inputs (limit ${limits.maxInputs})`);
  for (const t of request.inputs) {
    if (typeof t.name !== 'string' || t.name === '') throw new Error(`decoded an input without a name`);
    if (!isDatatype(t.datatype)) throw new Error(`input '${t.name}' decoded with datatype ${String(t.datatype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`input '${t.name}' decoded with shape [${t.shape.join(',')}]`);
    checkStorage(t, limits);
  }
}

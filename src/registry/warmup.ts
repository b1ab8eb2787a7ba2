/**
 * Warm-up: before a version takes traffic, every instance runs a few requests, so onnxruntime's first-run costs
 * (allocations, kernel selection) are paid before a caller waits for them. The requests come from
 * `warmup.json` in the version folder when it exists, else they are generated from the signature (zeros, one
 * request per configured batch size).
 *
 * Only a configured warm-up is a gate: a `warmup.json` request that fails refuses the version. Generated requests
 * are a guess (zeros, variable dimensions of 1, which many models reject: a reflect Pad, an STFT, a fixed frame
 * size), so when one fails the version serves cold and the report says why (the registry warns and counts it).
 *
 * `warmup.json`: `{"requests": [{"inputs": [{"name", "datatype", "shape", "data"}]}]}` (V2 JSON tensors), or a
 * single `{"inputs": [...]}`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPLANATION_OUTPUT, type ModelConfig, type WarmupConfig } from '../config/index.js';
import { ModelLoadError } from '../errors/index.js';
import type { ExecutionInstance } from '../scheduler/model-scheduler.js';
import {
  allocate,
  elementCount,
  formatShape,
  isDatatype,
  tensorDataFromJson,
  type Tensor,
  type TensorSpec,
} from '../tensor/index.js';

export const WARMUP_FILE = 'warmup.json';

export type WarmupSource = 'file' | 'generated';

/** What warm-up did, recorded per version. */
export interface WarmupReport {
  readonly source: WarmupSource | 'disabled';
  /** Runs per instance (requests × iterations) that completed on every instance. */
  readonly requests: number;
  readonly ms: number;
  /**
   * Why the generated warm-up failed, with what to do: the version serves cold. Absent when warm-up ran (a
   * failing warmup.json refuses the version instead).
   */
  readonly failure?: string;
}

/** A failed warm-up that keeps a version out: its requests came from warmup.json. */
export class WarmupFileError extends ModelLoadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, errorCode: 'warmup_failed' });
  }
}

/**
 * Wraps an instance to count runs that reach it before it has ever run: requests answered by a cold model.
 * With warm-up on, the scheduler only gets instances that already ran, so the count stays 0.
 */
export class TrackedInstance implements ExecutionInstance {
  private ran = false;
  coldRuns = 0;

  constructor(private readonly inner: ExecutionInstance) {}

  runTimed(
    inputs: readonly Tensor[],
    outputNames: readonly string[],
    context?: unknown,
  ): Promise<{ outputs: Tensor[]; computeNs: number }> {
    if (this.ran) return this.inner.runTimed(inputs, outputNames, context); // no promise of its own on the hot path
    this.coldRuns++;
    return this.inner.runTimed(inputs, outputNames, context).finally(() => {
      this.ran = true;
    });
  }

  /** Runs a warm-up request directly on the instance (not counted as a caller's request). */
  async warm(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<void> {
    await this.inner.runTimed(inputs, outputNames);
    this.ran = true;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get running(): boolean | undefined {
    return this.inner.running;
  }
}

function zeros(spec: TensorSpec, shape: number[]): Tensor {
  const count = elementCount(shape, spec.name);
  const data = spec.datatype === 'BYTES' ? new Array<string>(count).fill('') : allocate(spec.datatype, count);
  return { name: spec.name, datatype: spec.datatype, shape, data };
}

/** One zero-filled request per batch size, shaped from the signature (variable dims become 1). */
export function generateWarmupRequests(config: ModelConfig, batchSizes: readonly number[]): Tensor[][] {
  const fixed = (dims: readonly number[]) => dims.map((d) => (d < 0 ? 1 : d));
  if (config.maxBatchSize === 0) return [config.inputs.map((s) => zeros(s, fixed(s.dims)))];
  const sizes = [...new Set(batchSizes.map((b) => Math.min(b, config.maxBatchSize)))];
  return sizes.map((b) => config.inputs.map((s) => zeros(s, [b, ...fixed(s.dims)])));
}

function parseTensor(value: unknown, what: string): Tensor {
  const t = value as { name?: unknown; datatype?: unknown; shape?: unknown; data?: unknown } | null;
  if (
    !t ||
    typeof t.name !== 'string' ||
    !isDatatype(t.datatype) ||
    !Array.isArray(t.shape) ||
    !t.shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new ModelLoadError(
      `${what}: each input needs name, datatype (e.g. FP32), shape (non-negative integers) and data`,
    );
  }
  const shape = t.shape as number[];
  return {
    name: t.name,
    datatype: t.datatype,
    shape,
    data: tensorDataFromJson(t.data, t.datatype, shape, elementCount(shape, what), what),
  };
}

/** Parses warmup.json text into requests (each a list of input tensors). Errors name the file and the request. */
export function parseWarmupFile(text: string, file: string): Tensor[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const body = value as { requests?: unknown; inputs?: unknown } | null;
  const requests = Array.isArray(body?.requests)
    ? body.requests
    : body && Array.isArray(body.inputs)
      ? [body]
      : undefined;
  if (!requests?.length)
    throw new ModelLoadError(
      `${file} must be {"requests": [{"inputs": [...]}]} or {"inputs": [...]} with at least one request`,
    );
  return requests.map((r, i) => {
    const inputs = (r as { inputs?: unknown } | null)?.inputs;
    if (!Array.isArray(inputs)) throw new ModelLoadError(`${file}: requests[${i}] needs an 'inputs' array`);
    return inputs.map((t, j) => parseTensor(t, `${file}: requests[${i}].inputs[${j}]`));
  });
}

async function readWarmupFile(versionDir: string): Promise<string | undefined> {
  try {
    return await readFile(join(versionDir, WARMUP_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The version's warm-up requests: warmup.json if present, else generated from the completed config. */
export async function warmupRequests(
  versionDir: string,
  config: ModelConfig,
  settings: WarmupConfig,
): Promise<{ source: WarmupSource; requests: Tensor[][] }> {
  const text = await readWarmupFile(versionDir);
  if (text !== undefined) {
    try {
      return { source: 'file', requests: parseWarmupFile(text, join(versionDir, WARMUP_FILE)) };
    } catch (err) {
      throw new WarmupFileError((err as Error).message, { cause: err });
    }
  }
  return { source: 'generated', requests: generateWarmupRequests(config, settings.batchSizes) };
}

/** `input FP32 [1,1], sr INT64 []`: what a generated request sent, for the message that says it failed. */
function describeRequest(request: readonly Tensor[]): string {
  return request.map((t) => `${t.name} ${t.datatype} ${formatShape(t.shape)}`).join(', ');
}

/**
 * True when a version's load failure reason comes from warm-up (its requests failed, or warmup.json is unusable),
 * not from starting the model: `inferd validate` reports the two stages apart. Matches the messages of this file.
 */
export function isWarmupFailure(reason: string): boolean {
  return reason.includes(': warm-up request ') || reason.includes(WARMUP_FILE);
}

/** A fresh copy of a request: running it transfers the buffers away. */
function copyRequest(request: readonly Tensor[]): Tensor[] {
  return request.map((t) => ({ ...t, data: t.data.slice() }));
}

/** One request of a warm-up failed: which one, and onnxruntime's reason. */
interface FailedRun {
  readonly index: number;
  readonly error: Error;
}

/** Runs every request `iterations` times on one instance; stops at the first failure. Returns the runs completed. */
async function warmOne(
  instance: TrackedInstance,
  requests: readonly Tensor[][],
  outputs: readonly string[],
  iterations: number,
): Promise<{ runs: number; failed?: FailedRun }> {
  let runs = 0;
  for (let i = 0; i < iterations; i++) {
    for (const [index, request] of requests.entries()) {
      try {
        await instance.warm(copyRequest(request), outputs);
      } catch (err) {
        return { runs, failed: { index, error: err instanceof Error ? err : new Error(String(err)) } };
      }
      runs++;
    }
  }
  return { runs };
}

function fileFailure(label: string, file: string, count: number, f: FailedRun): WarmupFileError {
  return new WarmupFileError(
    `${label}: warm-up request ${f.index + 1} of ${count} from ${file} failed: ${f.error.message}; fix ${WARMUP_FILE} or the model`,
    { cause: f.error },
  );
}

function generatedFailure(label: string, versionDir: string, request: readonly Tensor[], f: FailedRun): string {
  return (
    `${label}: the warm-up request generated from the signature (zeros: ${describeRequest(request)}) failed: ${f.error.message}. ` +
    `The version serves cold (its first requests pay the first-run costs). To warm it, add ${join(versionDir, WARMUP_FILE)} ` +
    `with a request the model accepts ({"inputs": [{"name", "datatype", "shape", "data"}]}), or set 'warmup: false' in the model's config.yaml`
  );
}

/**
 * Warms every instance of a version (in parallel, each running every request `iterations` times) and reports it.
 * A failing warmup.json rejects with a WarmupFileError: a version that cannot answer its configured warm-up must
 * not serve. A failing generated request only proves the guess wrong: the report carries the failure and the
 * version serves cold.
 */
export async function warmUp(
  instances: readonly TrackedInstance[],
  versionDir: string,
  config: ModelConfig,
  settings: WarmupConfig,
  label: string,
): Promise<WarmupReport> {
  if (!settings.enabled) return { source: 'disabled', requests: 0, ms: 0 };
  const started = performance.now();
  const { source, requests } = await warmupRequests(versionDir, config, settings);
  const outputs = config.outputs.map((o) => o.name).filter((n) => n !== EXPLANATION_OUTPUT);
  const results = await Promise.all(instances.map((i) => warmOne(i, requests, outputs, settings.iterations)));
  const failed = results.find((r) => r.failed)?.failed;
  const runs = Math.min(...results.map((r) => r.runs));
  if (failed && source === 'file') throw fileFailure(label, join(versionDir, WARMUP_FILE), requests.length, failed);
  const failure = failed && generatedFailure(label, versionDir, requests[failed.index], failed);
  return { source, requests: runs, ms: performance.now() - started, ...(failure ? { failure } : {}) };
}

/** Failed warm-ups of one version, by where the requests came from (for the metrics). */
export interface WarmupFailureCount {
  readonly model: string;
  readonly version: number;
  readonly source: WarmupSource;
  readonly count: number;
}

/** Counts failed warm-ups for as long as the server runs: a generated one served cold, a warmup.json one refused. */
export class WarmupFailures {
  private readonly counts = new Map<string, WarmupFailureCount>();

  record(model: string, version: number, source: WarmupSource): void {
    const key = `${model}\u0000${version}\u0000${source}`;
    this.counts.set(key, { model, version, source, count: (this.counts.get(key)?.count ?? 0) + 1 });
  }

  rows(): WarmupFailureCount[] {
    return [...this.counts.values()];
  }
}

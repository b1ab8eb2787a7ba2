/**
 * Shared helpers for the integration tests: repository paths, temporary model repositories, an in-process
 * server on port 0, and small fetch wrappers that never throw on non-2xx statuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { FIXTURE_MODELS_DIR, MODELS_DIR, ROOT } from './root.js';

export { CLI_PATH, FIXTURE_MODELS_DIR, MODELS_DIR, REFERENCE_DIR, ROOT } from './root.js';

/** How one model of a temporary repository is made. */
export interface TempModelSpec {
  /**
   * The ONNX file copied into every version folder as model.onnx: a file name in test/fixtures/models/
   * (e.g. 'slow_sum.onnx') or a path relative to the project root (e.g. 'models/digits/1/model.onnx').
   */
  readonly onnx: string;
  /** Version folders to create; default [1]. */
  readonly versions?: readonly number[];
  /** A config file written beside the version folders. */
  readonly config?: { readonly file: 'config.pbtxt' | 'config.yaml'; readonly text: string };
}

export interface TempRepository {
  readonly dir: string;
  /** Removes the repository folder. Safe to call more than once. */
  cleanup(): Promise<void>;
}

function onnxSource(onnx: string): string {
  return onnx.includes('/') ? resolve(ROOT, onnx) : join(FIXTURE_MODELS_DIR, onnx);
}

/** Creates `<tmp>/<model>/<version>/model.onnx` (+ optional config) for each model under os.tmpdir(). */
export async function tempRepository(models: Readonly<Record<string, TempModelSpec>>): Promise<TempRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-test-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    for (const [name, spec] of Object.entries(models)) {
      const modelDir = join(dir, name);
      for (const v of spec.versions ?? [1]) {
        await mkdir(join(modelDir, String(v)), { recursive: true });
        await copyFile(onnxSource(spec.onnx), join(modelDir, String(v), 'model.onnx'));
      }
      if (spec.config) await writeFile(join(modelDir, spec.config.file), spec.config.text, 'utf8');
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dir, cleanup };
}

/** Server config fields as the config file names them (snake_case). */
export type ServerConfigFields = NonNullable<Parameters<typeof resolveServerConfig>[0]>;

export interface TestServerOptions {
  /** Model repository folder; default: the example repository models/. */
  readonly repository?: string;
  readonly bodyLimitBytes?: number;
  readonly strictReadiness?: boolean;
  /** Any other config fields, over the test defaults (127.0.0.1, HTTP on port 0, gRPC and metrics on free ports). */
  readonly config?: ServerConfigFields;
  /** Where the server logs; default: nowhere. */
  readonly logger?: Logger;
  /** Collects every log line (one JSON record each) at `logLevel` and above into this array; replaces `logger`. */
  readonly logs?: string[];
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/**
 * Starts an in-process server on 127.0.0.1, port 0, logging nothing unless asked. Call `close()` when done. The
 * one way the tests start a server in-process: suites with a set-up of their own (audit, features, security,
 * quality, fuzzing) build their options and call this.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<RunningServer> {
  const config = resolveServerConfig({
    model_repository: options.repository ?? MODELS_DIR,
    http_port: 0,
    host: '127.0.0.1',
    log_level: options.logs ? (options.logLevel ?? 'debug') : 'silent',
    body_limit_bytes: options.bodyLimitBytes,
    strict_readiness: options.strictReadiness,
    ...options.config,
  });
  return startServer(config, logSink(options, config.logLevel));
}

function logSink(options: TestServerOptions, level: string): Logger | undefined {
  const logs = options.logs;
  if (!logs) return options.logger;
  return createLogger(
    level,
    new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }),
  );
}

/** A response with its body read once: `json` is the parsed body, or undefined when it is not JSON. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body. `unknown` on purpose: tests narrow it with asserts or the helpers below. */
  readonly json: unknown;
}

async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs `body` as JSON (or a raw string, sent as is) and reads the answer. */
export async function postJson(url: string, body: unknown, init: { raw?: boolean } = {}): Promise<HttpResult> {
  const payload = init.raw ? (body as string) : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
  return toResult(res);
}

export async function get(url: string): Promise<HttpResult> {
  return toResult(await fetch(url));
}

/** The `error` message of a `{"error": "..."}` body; fails the test when the body has none. */
export function errorMessage(r: HttpResult): string {
  const body = r.json as { error?: unknown } | undefined;
  if (!body || typeof body.error !== 'string') {
    assert.fail(`expected a {"error": "..."} body, got status ${r.status}: ${r.text.slice(0, 300)}`);
  }
  return body.error;
}

/** One output tensor of a V2 JSON inference response. */
export interface JsonTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly data: unknown[];
}

export interface JsonInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: JsonTensor[];
}

/** The response body as a V2 inference response; fails the test when it is not 200 with outputs. */
export function inferBody(r: HttpResult): JsonInferResponse {
  const body = r.json as Partial<JsonInferResponse> | undefined;
  if (r.status !== 200 || !body || !Array.isArray(body.outputs)) {
    assert.fail(`expected a 200 inference response, got status ${r.status}: ${r.text.slice(0, 300)}`);
  }
  return body as JsonInferResponse;
}

/** The named output of an inference response; fails the test when it is missing. */
export function outputNamed(body: JsonInferResponse, name: string): JsonTensor {
  const out = body.outputs.find((o) => o.name === name);
  if (!out) assert.fail(`response has no output '${name}'; it has: ${body.outputs.map((o) => o.name).join(', ')}`);
  return out;
}

/** Asserts |actual[i] - expected[i]| <= tol for every element, naming the first element that is off. */
export function assertClose(actual: readonly unknown[], expected: readonly number[], tol: number, what: string): void {
  if (actual.length !== expected.length) {
    assert.fail(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    if (typeof a !== 'number' || !(Math.abs(a - expected[i]) <= tol)) {
      assert.fail(`${what}: element ${i} is ${String(a)}, expected ${expected[i]} within ${tol}`);
    }
  }
}

/** Reads a JSON fixture under the project root. The caller states the shape it expects. */
export function readJsonFixture<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(ROOT, relativePath), 'utf8')) as T;
}

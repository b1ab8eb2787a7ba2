/**
 * Shared pieces of the feedback, replay and export tests: a repository with a binary classifier (breast cancer,
 * threshold 0.6), a multiclass one (digits) and a regression model (XGBoost diabetes), a server with the prediction
 * log on, and small HTTP helpers.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../src/index.js';
import type { AuditConfigFile } from '../../src/config/audit-config.js';
import {
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  ROOT,
  startTestServer,
  tempRepository,
  type JsonInferResponse,
  type TempRepository,
} from '../helpers/server.js';

export const CANCER = readJsonFixture<{ inputs: number[][]; true_labels: number[] }>(
  'test/fixtures/reference/breast_cancer.json',
);
export const DIGITS = readJsonFixture<{ inputs: number[][]; true_labels: number[] }>(
  'test/fixtures/reference/digits.json',
);
export const DIABETES = readJsonFixture<{ inputs: Array<Array<number | null>>; predictions: number[] }>(
  'test/fixtures/xgboost/diabetes_regression/reference.json',
);
export const THRESHOLD = 0.6;

/** cancer (binary, threshold 0.6), digits (multiclass, logits + label), diabetes (XGBoost regression). */
export async function qualityRepository(): Promise<TempRepository> {
  const repo = await tempRepository({
    cancer: {
      onnx: 'models/breast_cancer/1/model.onnx',
      config: { file: 'config.yaml', text: `max_batch_size: 8\nparameters: { threshold: ${THRESHOLD} }\n` },
    },
    digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
  });
  mkdirSync(join(repo.dir, 'diabetes', '1'), { recursive: true });
  cpSync(
    join(ROOT, 'test/fixtures/xgboost/diabetes_regression/model.json'),
    join(repo.dir, 'diabetes', '1', 'model.json'),
  );
  writeFileSync(join(repo.dir, 'diabetes', 'config.yaml'), 'runtime: xgboost\nmax_batch_size: 8\n');
  return repo;
}

/** A server on port 0 (HTTP and metrics) over `repository` with the prediction log on. */
export function startQualityServer(
  repository: string,
  audit: AuditConfigFile,
  quality: Record<string, unknown> = {},
): Promise<RunningServer> {
  return startTestServer({
    repository,
    strictReadiness: false,
    config: { grpc_port: -1, audit: { enabled: true, ...audit }, quality: { metrics_refresh_seconds: 0, ...quality } },
  });
}

/** One inference request of `rows` with request id `id`. */
export async function infer(
  url: string,
  model: string,
  id: string,
  rows: ReadonlyArray<ReadonlyArray<number | null>>,
  version?: string,
): Promise<JsonInferResponse> {
  const body = { id, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0].length], data: rows }] };
  return inferBody(await postJson(`${url}/v2/models/${model}${version ? `/versions/${version}` : ''}/infer`, body));
}

/** The rows of a [rows, width] output of a response. */
export function outputRows(r: JsonInferResponse, name: string): number[][] {
  const t = outputNamed(r, name);
  const width = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const flat = t.data as number[];
  return Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
}

/** The value of one Prometheus sample (`name{labels}` exactly as exposed), or undefined when absent. */
export function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

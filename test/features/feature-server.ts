/**
 * Servers for the feature tests: a temporary repository holding the example fraud model (its config.yaml, or a
 * variant) and a features.yaml that points the model's two views at the store under test, started on port 0.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/index.js';
import { MODELS_DIR, postJson, readJsonFixture, startTestServer, type HttpResult } from '../helpers/server.js';

/** A `stores:` entry of features.yaml (written as JSON, which YAML reads). */
export type StoreEntry = Readonly<Record<string, unknown>>;

export interface ViewOptions {
  readonly maxAgeSeconds?: number;
  readonly cacheTtlMs?: number;
  readonly fallback?: 'default' | 'reject';
}

export interface FeatureServerOptions {
  readonly store: StoreEntry;
  readonly views?: ViewOptions;
  /**
   * The feature budget; by default far beyond any read of a healthy store on a loaded machine, so only the tests
   * about the budget (which set it) ever see budget_exceeded.
   */
  readonly budgetMs?: number;
  /** Replaces the fraud model's config.yaml. */
  readonly modelConfig?: string;
}

export interface FeatureServer {
  readonly server: RunningServer;
  readonly dir: string;
  close(): Promise<void>;
}

/** The fraud model's reference rows (scripts/fixtures/make_fraud_model.py). */
export interface FraudReference {
  readonly columns: string[];
  readonly user_id: string[];
  readonly merchant_id: string[];
  readonly amount: number[];
  readonly hour_of_day: number[];
  readonly card_present: number[];
  readonly inputs: Array<Array<number | null>>;
  readonly probabilities: number[];
}

export const FRAUD = readJsonFixture<FraudReference>('test/fixtures/reference/fraud_xgb.json');
export const USER_FEATURES = FRAUD.columns.slice(3, 8);
export const MERCHANT_FEATURES = FRAUD.columns.slice(8, 11);

function featuresYaml(options: FeatureServerOptions): string {
  // The views mirror models/features.yaml's, retargeted at the store under test.
  const v = options.views ?? {};
  const view = (entity: string, features: Record<string, unknown>) => ({
    store: 'under_test',
    entities: [entity],
    max_age_seconds: v.maxAgeSeconds ?? 3600,
    fallback: v.fallback ?? 'default',
    cache: { ttl_ms: v.cacheTtlMs ?? 10_000 },
    features,
  });
  const int = (max: number) => ({ type: 'INT64', min: 0, max, on_invalid: 'impute' });
  return JSON.stringify({
    budget_ms: options.budgetMs ?? 10_000,
    stores: { under_test: options.store },
    feature_views: {
      user_profile: view('user_id', {
        account_age_days: int(100000),
        txn_count_7d: int(100000),
        avg_amount_30d: { type: 'FP32', min: 0, max: 1e6, on_invalid: 'impute' },
        chargebacks_90d: int(1000),
        distinct_devices_30d: int(1000),
      }),
      merchant_risk: view('merchant_id', {
        merchant_fraud_rate_90d: { type: 'FP32', min: 0, max: 1, on_invalid: 'impute' },
        merchant_avg_ticket: { type: 'FP32', min: 0, max: 1e6, on_invalid: 'impute' },
        merchant_high_risk_mcc: { type: 'BOOL', default: 0 },
      }),
    },
  });
}

/** Starts a server on a temporary repository with the fraud model and the given store. */
export async function startFeatureServer(options: FeatureServerOptions): Promise<FeatureServer> {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-features-'));
  mkdirSync(join(dir, 'fraud_xgb', '1'), { recursive: true });
  cpSync(join(MODELS_DIR, 'fraud_xgb', '1', 'model.json'), join(dir, 'fraud_xgb', '1', 'model.json'));
  writeFileSync(
    join(dir, 'fraud_xgb', 'config.yaml'),
    options.modelConfig ?? readFileSync(join(MODELS_DIR, 'fraud_xgb', 'config.yaml'), 'utf8'),
  );
  writeFileSync(join(dir, 'features.yaml'), featuresYaml(options));
  try {
    const server = await startTestServer({ repository: dir, config: { grpc_port: -1 } });
    return { server, dir, close: async () => (await server.close(), rmSync(dir, { recursive: true, force: true })) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** POST /v1/features/{view}. */
export function ingest(
  server: RunningServer,
  view: string,
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<HttpResult> {
  return postJson(`${server.url}/v1/features/${view}`, { rows });
}

/** Ingests reference rows' stored features (`rows` index into FRAUD) with an event time. */
export async function ingestReference(
  server: RunningServer,
  rows: readonly number[],
  eventTime: Date,
  users = FRAUD.user_id,
): Promise<void> {
  const at = { event_time: eventTime.toISOString() };
  const u = rows.map((r) => ({
    user_id: users[r],
    ...at,
    ...Object.fromEntries(USER_FEATURES.map((f, i) => [f, FRAUD.inputs[r][3 + i]])),
  }));
  const m = rows.map((r) => ({
    merchant_id: FRAUD.merchant_id[r],
    ...at,
    ...Object.fromEntries(MERCHANT_FEATURES.map((f, i) => [f, FRAUD.inputs[r][8 + i]])),
  }));
  for (const [view, body] of [
    ['user_profile', u],
    ['merchant_risk', m],
  ] as const) {
    const res = await ingest(server, view, body);
    if (res.status !== 200) throw new Error(`ingest ${view}: ${res.status} ${res.text}`);
  }
}

/** A V2 request by entity ids for reference rows, with their request-time tensors. */
export function entityRequest(rows: readonly number[], users = FRAUD.user_id): Record<string, unknown> {
  const pick = <T>(a: T[]) => rows.map((r) => a[r]);
  return {
    parameters: { entities: { user_id: pick(users), merchant_id: pick(FRAUD.merchant_id) } },
    inputs: [
      { name: 'amount', datatype: 'FP32', shape: [rows.length], data: pick(FRAUD.amount) },
      { name: 'hour_of_day', datatype: 'INT32', shape: [rows.length], data: pick(FRAUD.hour_of_day) },
      { name: 'card_present', datatype: 'BOOL', shape: [rows.length], data: pick(FRAUD.card_present).map(Boolean) },
    ],
  };
}

/** A V2 request with every feature in the request: the full input tensor. */
export function fullInputRequest(inputs: ReadonlyArray<ReadonlyArray<number | null>>): Record<string, unknown> {
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [inputs.length, 11], data: inputs }] };
}

export interface FraudAnswer {
  readonly status: number;
  readonly positive: number[];
  readonly parameters: Record<string, unknown>;
  readonly text: string;
}

/** Infers on the fraud model; `positive` holds the positive-class probability per row. */
export async function inferFraud(server: RunningServer, body: Record<string, unknown>): Promise<FraudAnswer> {
  const res = await postJson(`${server.url}/v2/models/fraud_xgb/infer`, body);
  const json = res.json as
    { outputs?: Array<{ name: string; data: number[] }>; parameters?: Record<string, unknown> } | undefined;
  const probs = json?.outputs?.find((o) => o.name === 'probabilities')?.data ?? [];
  return {
    status: res.status,
    positive: probs.filter((_, i) => i % 2 === 1),
    parameters: json?.parameters ?? {},
    text: res.text,
  };
}

/** The value of one Prometheus sample (0 when absent), e.g. metric('inferd_feature_store_reads_total', {view: 'user_profile'}). */
export async function metric(
  server: RunningServer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(server.metricsUrl!)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

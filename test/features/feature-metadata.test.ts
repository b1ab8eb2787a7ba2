/**
 * A feature-backed model's V2 metadata says what a client sends: the entities of `parameters.entities` and the
 * request-time input tensors with their datatypes, over HTTP and gRPC, while the standard fields stay as the Open
 * Inference Protocol defines them. A request built from the metadata alone is answered.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { MODELS_DIR, postJson, startTestServer } from '../helpers/server.js';
import { FRAUD, ingestReference } from './feature-server.js';

interface Metadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
  parameters?: Record<string, unknown>;
}

let dir: string;
let server: RunningServer;
let client: InferenceClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-feature-metadata-'));
  cpSync(join(MODELS_DIR, 'fraud_xgb'), join(dir, 'fraud_xgb'), { recursive: true });
  cpSync(join(MODELS_DIR, 'digits'), join(dir, 'digits'), { recursive: true });
  const features = readFileSync(join(MODELS_DIR, 'features.yaml'), 'utf8')
    .replace('path: $STATE_DIR/features.sqlite', "path: ':memory:'")
    .replace(/\n\s+seed_csv: .*/g, '');
  writeFileSync(join(dir, 'features.yaml'), features);
  server = await startTestServer({ repository: dir, config: { metrics_port: -1 } });
  await ingestReference(server, [0], new Date(Date.now() - 30_000));
  client = connect(server.grpcUrl!);
});

after(async () => {
  client?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function metadata(model: string): Promise<Metadata> {
  const res = await fetch(`${server.url}/v2/models/${model}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Metadata;
}

function assertStandardShape(m: Metadata): void {
  assert.equal(typeof m.name, 'string');
  assert.ok(Array.isArray(m.versions) && m.versions.every((v) => typeof v === 'string'));
  assert.equal(typeof m.platform, 'string');
  for (const t of [...m.inputs, ...m.outputs]) {
    assert.deepEqual(Object.keys(t).sort(), ['datatype', 'name', 'shape']);
    assert.ok(t.shape.every((d) => Number.isInteger(d)));
  }
  // The protocol's $parameters: each value a string, number or boolean.
  for (const [k, v] of Object.entries(m.parameters ?? {}))
    assert.ok(['string', 'number', 'boolean'].includes(typeof v), `parameter ${k} is a scalar`);
}

it('GET /v2/models/fraud_xgb names the entities and the request-time inputs with their datatypes', async () => {
  const m = await metadata('fraud_xgb');
  assertStandardShape(m);
  assert.deepEqual(m.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 11] }]);
  assert.equal(m.parameters?.entities, 'user_id,merchant_id');
  assert.equal(m.parameters?.request_inputs, 'amount,hour_of_day,card_present');
  assert.equal(m.parameters?.request_input_datatypes, 'FP32,INT32,BOOL');
  assert.equal(typeof m.parameters?.feature_names, 'string', "the model's own parameters are still there");
});

it('a request built from the metadata alone is answered', async () => {
  const m = await metadata('fraud_xgb');
  const entities = String(m.parameters!.entities).split(',');
  const names = String(m.parameters!.request_inputs).split(',');
  const datatypes = String(m.parameters!.request_input_datatypes).split(',');
  const ids: Record<string, string> = { user_id: FRAUD.user_id[0], merchant_id: FRAUD.merchant_id[0] };
  const value = (datatype: string) => (datatype === 'BOOL' ? false : 3);
  const body = {
    parameters: { entities: Object.fromEntries(entities.map((e) => [e, [ids[e]]])) },
    inputs: names.map((name, i) => ({ name, datatype: datatypes[i], shape: [1], data: [value(datatypes[i])] })),
  };
  const res = await postJson(`${server.url}/v2/models/fraud_xgb/infer`, body);
  assert.equal(res.status, 200, res.text);
  assert.equal(
    (res.json as { parameters?: { feature_fallbacks?: unknown } }).parameters?.feature_fallbacks,
    undefined,
    res.text,
  );
});

it('a model without features has no request parameters in its metadata', async () => {
  const m = await metadata('digits');
  assertStandardShape(m);
  for (const key of ['entities', 'request_inputs', 'request_input_datatypes'])
    assert.equal(m.parameters?.[key], undefined);
});

it('gRPC ModelMetadata carries the same parameters as string parameters', async () => {
  const m = await client.call<{
    name: string;
    inputs: unknown[];
    parameters: Record<string, { string_param?: string }>;
  }>('ModelMetadata', { name: 'fraud_xgb' });
  assert.equal(m.name, 'fraud_xgb');
  assert.equal(m.parameters.entities?.string_param, 'user_id,merchant_id');
  assert.equal(m.parameters.request_inputs?.string_param, 'amount,hour_of_day,card_present');
  assert.equal(m.parameters.request_input_datatypes?.string_param, 'FP32,INT32,BOOL');
  const http = await metadata('fraud_xgb');
  assert.deepEqual(
    Object.fromEntries(Object.entries(m.parameters).map(([k, v]) => [k, v.string_param])),
    http.parameters,
  );
});

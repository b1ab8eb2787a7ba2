/** Feature-backed inference over gRPC: `entities` as a JSON string parameter; the feature report comes back as JSON text. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connect, rawBytes, type InferenceClient } from '../grpc/grpc-client.js';
import { assertClose, startTestServer } from '../helpers/server.js';
import type { RunningServer } from '../../src/index.js';
import { FRAUD, ingestReference } from './feature-server.js';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS_DIR } from '../helpers/server.js';

let dir: string;
let server: RunningServer;
let client: InferenceClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'inferd-grpc-features-'));
  cpSync(join(MODELS_DIR, 'fraud_xgb'), join(dir, 'fraud_xgb'), { recursive: true });
  const features = readFileSync(join(MODELS_DIR, 'features.yaml'), 'utf8')
    .replace('path: $STATE_DIR/features.sqlite', "path: ':memory:'")
    .replace(/\n\s+seed_csv: .*/g, '');
  writeFileSync(join(dir, 'features.yaml'), features);
  server = await startTestServer({ repository: dir });
  await ingestReference(server, [0, 1], new Date(Date.now() - 30_000));
  client = connect(server.grpcUrl!);
});

after(async () => {
  client?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('ModelInfer with entities as a JSON string_param answers as over HTTP, with the feature report', async () => {
  const entities = JSON.stringify({ user_id: FRAUD.user_id.slice(0, 2), merchant_id: FRAUD.merchant_id.slice(0, 2) });
  const res = await client.call<{
    outputs: Array<{ name: string }>;
    raw_output_contents: Buffer[];
    parameters: Record<string, { string_param?: string }>;
  }>('ModelInfer', {
    model_name: 'fraud_xgb',
    inputs: [
      { name: 'amount', datatype: 'FP32', shape: [2] },
      { name: 'hour_of_day', datatype: 'INT32', shape: [2] },
      { name: 'card_present', datatype: 'BOOL', shape: [2] },
    ],
    raw_input_contents: [
      rawBytes(Float32Array.from(FRAUD.amount.slice(0, 2))),
      rawBytes(Int32Array.from(FRAUD.hour_of_day.slice(0, 2))),
      rawBytes(Uint8Array.from(FRAUD.card_present.slice(0, 2))),
    ],
    parameters: { entities: { string_param: entities } },
  });
  const at = res.outputs.findIndex((o) => o.name === 'probabilities');
  const raw = res.raw_output_contents[at];
  const probs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  assertClose([probs[1], probs[3]], FRAUD.probabilities.slice(0, 2), 1e-6, 'probabilities');
  const freshness = JSON.parse(res.parameters.feature_freshness_seconds.string_param!) as Record<string, number>;
  assert.ok(freshness.user_profile >= 29 && freshness.merchant_risk >= 29);
});

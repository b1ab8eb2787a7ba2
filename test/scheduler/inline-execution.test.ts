/**
 * Inline execution over the real doors: a lone request to a model that computes in tens of µs runs on the main
 * thread, answers exactly what a worker answers, and batches go back to the workers as soon as a queue forms. The
 * decision and what it did are read from the statistics endpoint and the metrics, never from timings.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { connect, rawBytes, type InferenceClient, type InferResponse } from '../grpc/grpc-client.js';
import { get, inferBody, postJson, readJsonFixture, ROOT, startTestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

/** A threshold no micro-model misses, however busy the machine: the decision under test is not the measurement's. */
const ALWAYS = 'inline_execution: { max_compute_microseconds: 2000 }\n';
const NEVER = 'inline_execution: false\n';

const MODELS: Record<string, { artefact: string; config: string }> = {
  digits_inline: { artefact: 'models/digits/1/model.onnx', config: `max_batch_size: 64\n${ALWAYS}` },
  digits_worker: { artefact: 'models/digits/1/model.onnx', config: `max_batch_size: 64\n${NEVER}` },
  // Four requests are joined (preferred size 4, a delay no test reaches): a queue always forms.
  digits_queue: {
    artefact: 'models/digits/1/model.onnx',
    config: `max_batch_size: 8\ndynamic_batching: { preferred_batch_size: [4], max_queue_delay_microseconds: 600000000 }\n${ALWAYS}`,
  },
  tree_inline: { artefact: 'models/breast_cancer_xgb/1/model.json', config: ALWAYS },
  tree_worker: { artefact: 'models/breast_cancer_xgb/1/model.json', config: NEVER },
};

const digits = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');
/** 40 rows, 30 features; rows 30–39 hold NaN (missing values), which only raw bytes carry. */
const cancer = readJsonFixture<{ inputs: Array<Array<number | null>> }>(
  'test/fixtures/xgboost/breast_cancer_binary/reference.json',
);

interface InlineStats {
  decision: 'inline' | 'worker';
  reason: string;
  threshold_us?: number;
  measured_compute_us?: number;
  inline_count: number;
  fallback_count: number;
}

interface VersionStats {
  execution_count: number;
  inline_execution?: InlineStats;
  batch_stats: Array<{ batch_size: number }>;
}

describe('inline execution', () => {
  let dir: string;
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inferd-inline-'));
    for (const [name, m] of Object.entries(MODELS)) {
      mkdirSync(join(dir, name, '1'), { recursive: true });
      copyFileSync(
        join(ROOT, m.artefact),
        join(dir, name, '1', m.artefact.endsWith('.json') ? 'model.json' : 'model.onnx'),
      );
      writeFileSync(join(dir, name, 'config.yaml'), m.config);
    }
    server = await startTestServer({ repository: dir });
    grpc = connect(server.grpcUrl!);
  });

  after(async () => {
    grpc?.close();
    await server?.close({ delayMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  async function stats(model: string): Promise<VersionStats> {
    const r = await get(`${server.url}/v2/models/${model}/stats`);
    assert.equal(r.status, 200, r.text);
    return (r.json as { model_stats: VersionStats[] }).model_stats[0];
  }

  const inline = async (model: string): Promise<InlineStats> => {
    const s = (await stats(model)).inline_execution;
    assert.ok(s, `${model}: statistics carry inline_execution`);
    return s;
  };

  const digitsBody = (row: number[]) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: row }] });

  it('shows each version’s decision, its threshold and measured compute time in statistics and metrics', async () => {
    const on = await inline('digits_inline');
    assert.equal(on.decision, 'inline', on.reason);
    assert.equal(on.threshold_us, 2000);
    assert.ok(typeof on.measured_compute_us === 'number' && on.measured_compute_us > 0);
    assert.match(on.reason, /^compute [\d.]+ µs for 1 row ≤ threshold 2000 µs$/);
    assert.equal((await inline('tree_inline')).decision, 'inline');
    const off = await inline('digits_worker');
    assert.equal(off.decision, 'worker');
    assert.equal(off.reason, 'inline execution is off for this model');
    const metrics = (await get(server.metricsUrl!)).text;
    assert.match(metrics, /^inferd_inline_execution\{model="digits_inline",version="1"\} 1$/m);
    assert.match(metrics, /^inferd_inline_execution\{model="digits_worker",version="1"\} 0$/m);
  });

  it('answers digits over HTTP inline exactly as a worker does, request by request', async () => {
    const before = await inline('digits_inline');
    for (const [i, row] of digits.inputs.entries()) {
      const a = inferBody(await postJson(`${server.url}/v2/models/digits_inline/infer`, digitsBody(row)));
      const b = inferBody(await postJson(`${server.url}/v2/models/digits_worker/infer`, digitsBody(row)));
      assert.deepEqual(a.outputs, b.outputs, `row ${i}`);
    }
    const after = await inline('digits_inline');
    assert.equal(after.inline_count - before.inline_count, digits.inputs.length, 'every lone request ran inline');
    assert.equal((await inline('digits_worker')).inline_count, 0);
  });

  it('answers the tree model over gRPC inline bit for bit as a worker does, missing values included', async () => {
    const before = await inline('tree_inline');
    for (const [i, row] of cancer.inputs.entries()) {
      const request = (model: string) => ({
        model_name: model,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30] }],
        outputs: [{ name: 'probabilities' }, { name: 'label' }],
        raw_input_contents: [rawBytes(Float32Array.from(row, (v) => v ?? NaN))],
      });
      const a = await grpc.call<InferResponse>('ModelInfer', request('tree_inline'));
      const b = await grpc.call<InferResponse>('ModelInfer', request('tree_worker'));
      assert.deepEqual(a.outputs, b.outputs, `row ${i}`);
      assert.deepEqual(a.raw_output_contents, b.raw_output_contents, `row ${i}: the same bytes`);
    }
    const after = await inline('tree_inline');
    assert.equal(after.inline_count - before.inline_count, cancer.inputs.length);
  });

  it('sends a request for an explanation to a worker: TreeSHAP costs far more than the measured prediction', async () => {
    const before = await inline('tree_inline');
    const row = cancer.inputs[0] as number[];
    const r = await postJson(`${server.url}/v2/models/tree_inline/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: row }],
      outputs: [{ name: 'treeshap_output' }],
    });
    assert.equal(inferBody(r).outputs[0].name, 'treeshap_output');
    const after = await inline('tree_inline');
    assert.equal(after.inline_count, before.inline_count);
    assert.equal(after.fallback_count, before.fallback_count + 1);
  });

  it('sends a batch to a worker when a queue has formed, and counts it as a fallback', async () => {
    const rows = digits.inputs.slice(0, 4);
    const answers = await Promise.all(
      rows.map((row) => postJson(`${server.url}/v2/models/digits_queue/infer`, digitsBody(row))),
    );
    const s = await stats('digits_queue');
    assert.equal(s.inline_execution?.decision, 'inline', 'the version still runs lone requests inline');
    assert.equal(s.inline_execution?.inline_count, 0);
    assert.equal(s.inline_execution?.fallback_count, 1, 'the four queued requests went to a worker together');
    assert.deepEqual(
      s.batch_stats.map((b) => b.batch_size),
      [4],
    );
    for (const [i, r] of answers.entries()) {
      const alone = inferBody(await postJson(`${server.url}/v2/models/digits_worker/infer`, digitsBody(rows[i])));
      const label = (o: { outputs: Array<{ name: string }> }) => o.outputs.find((t) => t.name === 'label');
      assert.deepEqual(
        label(inferBody(r)),
        label(alone),
        `request ${i}: the batch's answer is the lone answer's class`,
      );
    }
  });

  it('under concurrent callers, every call runs either inline or on a worker, with the same answers', async () => {
    const expected = new Map<number, unknown>();
    for (const i of [0, 1, 2, 3])
      expected.set(
        i,
        inferBody(await postJson(`${server.url}/v2/models/digits_worker/infer`, digitsBody(digits.inputs[i]))).outputs,
      );
    const before = await stats('digits_inline');
    let bursts = 0;
    // Bursts of 32 concurrent requests until one finds a queue (nearly always the first); bounded, not timed.
    await waitFor(async () => {
      bursts++;
      const answers = await Promise.all(
        Array.from({ length: 32 }, (_, k) =>
          postJson(`${server.url}/v2/models/digits_inline/infer`, digitsBody(digits.inputs[k % 4])),
        ),
      );
      answers.forEach((r, k) => {
        const outputs = inferBody(r).outputs;
        const label = outputs.find((o) => o.name === 'label');
        const want = (expected.get(k % 4) as typeof outputs).find((o) => o.name === 'label');
        assert.deepEqual(label, want, `burst ${bursts}, request ${k}`);
      });
      return ((await inline('digits_inline')).fallback_count ?? 0) > (before.inline_execution?.fallback_count ?? 0);
    }, 'a burst of concurrent requests that formed a queue');
    const after = await stats('digits_inline');
    const executions = after.execution_count - before.execution_count;
    const counted =
      after.inline_execution!.inline_count -
      before.inline_execution!.inline_count +
      after.inline_execution!.fallback_count -
      before.inline_execution!.fallback_count;
    assert.equal(counted, executions, 'each runtime call is counted once, inline or as a fallback');
  });
});

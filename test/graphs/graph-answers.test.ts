/**
 * Inference graphs over real models (test/fixtures/graphs/repo: a breast-cancer scaler, a logistic regression and
 * an MLP, all ONNX), served by a started server: each graph answers what calling its members by hand answers,
 * over V2 HTTP, V1 and gRPC; it is a model to clients (metadata, statistics, audit of its own answer).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { tempDir } from '../audit/audit-helpers.js';
import { connect, rawBytes, asFloat32, type InferenceClient, type InferResponse } from '../grpc/grpc-client.js';
import {
  assertClose,
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  startTestServer,
} from '../helpers/server.js';

const { rows } = readJsonFixture<{ rows: number[][] }>('test/fixtures/graphs/rows.json');
const REPO = 'test/fixtures/graphs/repo';
const TOL = 1e-6;

interface Stats {
  model_stats: Array<{ name: string; inference_count: number }>;
}

describe('inference graphs over real models', () => {
  let server: RunningServer;
  let grpc: InferenceClient;
  const tmp = tempDir('inferd-graphs-');

  before(async () => {
    server = await startTestServer({
      repository: REPO,
      strictReadiness: true,
      config: { audit: { enabled: true, path: `${tmp.dir}/audit.db` } },
    });
    grpc = connect(server.grpcUrl!);
  });
  after(async () => {
    grpc?.close();
    await server?.close();
    tmp.cleanup();
  });

  /** One model's named output for `input` (an FP32 [N, 30] tensor named `name`), over V2 HTTP JSON. */
  async function call(model: string, name: string, input: number[][], output: string, id?: string) {
    const r = await postJson(`${server.url}/v2/models/${model}/infer`, {
      ...(id ? { id } : {}),
      inputs: [{ name, datatype: 'FP32', shape: [input.length, 30], data: input.flat() }],
    });
    return outputNamed(inferBody(r), output).data as number[];
  }
  const rowsOf = (flat: number[], width: number) =>
    Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
  const scaled = async (input: number[][]) => rowsOf(await call('scaler', 'raw', input, 'scaled'), 30);

  it('a chain (scaler → logistic regression) answers what the two steps answer by hand', async () => {
    const byHand = await call('logreg', 'features', await scaled(rows), 'probabilities');
    const graph = await call('bc_chain', 'raw', rows, 'probabilities');
    assertClose(graph, byHand, TOL, 'bc_chain probabilities');
  });

  it('a switch sends each row to its case (MLP above a mean radius of 15, else logistic regression)', async () => {
    const s = await scaled(rows);
    const big = rows.map((r) => r[0] > 15);
    assert.ok(big.includes(true) && big.includes(false), 'the rows cover both cases');
    const mlp = rowsOf(await call('mlp', 'features', s, 'probabilities'), 2);
    const lr = rowsOf(await call('logreg', 'features', s, 'probabilities'), 2);
    const byHand = big.flatMap((b, i) => (b ? mlp[i] : lr[i]));
    assertClose(await call('bc_switch', 'raw', rows, 'probabilities'), byHand, TOL, 'bc_switch, mixed batch');
    // A batch whose rows all take one case, and one row alone.
    const small = rows.filter((r) => r[0] <= 15);
    const smallByHand = await call('logreg', 'features', await scaled(small), 'probabilities');
    assertClose(await call('bc_switch', 'raw', small, 'probabilities'), smallByHand, TOL, 'bc_switch, one case');
    assertClose(await call('bc_switch', 'raw', rows.slice(0, 1), 'probabilities'), mlp[0], TOL, 'bc_switch, one row');
  });

  it('a combine (average, weighted vote, concatenation) equals combining the members by hand', async () => {
    const s = await scaled(rows);
    const lr = await call('logreg', 'features', s, 'probabilities');
    const mlp = await call('mlp', 'features', s, 'probabilities');
    const r = await postJson(`${server.url}/v2/models/bc_combine/infer`, {
      inputs: [{ name: 'raw', datatype: 'FP32', shape: [rows.length, 30], data: rows.flat() }],
    });
    const body = inferBody(r);
    const mean = lr.map((v, i) => (1 * v + 3 * mlp[i]) / 4);
    assertClose(outputNamed(body, 'probabilities').data, mean, 1e-6, 'average (weights 1, 3)');
    const argmax = (p: number[], i: number) => (p[2 * i + 1] > p[2 * i] ? 1 : 0);
    const votes = rows.map((_, i) => {
      const w = [0, 0];
      w[argmax(lr, i)] += 0.4;
      w[argmax(mlp, i)] += 0.6;
      return w[1] > w[0] ? 1 : 0;
    });
    assert.deepEqual(outputNamed(body, 'label').data, votes);
    assert.ok(votes.includes(0) && votes.includes(1), 'the rows cover both classes');
    const both = rows.flatMap((_, i) => [lr[2 * i], lr[2 * i + 1], mlp[2 * i], mlp[2 * i + 1]]);
    assertClose(outputNamed(body, 'all_probabilities').data, both, 0, 'concat');
  });

  it('a graph is a model: metadata, config, V1 predict and gRPC', async () => {
    const meta = (await get(`${server.url}/v2/models/bc_chain`)).json as Record<string, unknown>;
    assert.deepEqual(meta, {
      name: 'bc_chain',
      versions: ['1'],
      platform: 'inferd_graph',
      inputs: [{ name: 'raw', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    });
    const config = (await get(`${server.url}/v2/models/bc_combine/config`)).json as { graph?: { nodes: unknown[] } };
    assert.equal(config.graph?.nodes.length, 6);
    const byHand = await call('bc_chain', 'raw', rows.slice(0, 2), 'probabilities');
    const v1 = await postJson(`${server.url}/v1/models/bc_chain:predict`, { instances: rows.slice(0, 2) });
    assert.equal(v1.status, 200, v1.text);
    assertClose((v1.json as { predictions: number[][] }).predictions.flat(), byHand, TOL, 'V1 predictions');
    const answer = await grpc.call<InferResponse>('ModelInfer', {
      model_name: 'bc_chain',
      inputs: [{ name: 'raw', datatype: 'FP32', shape: [2, 30] }],
      raw_input_contents: [rawBytes(Float32Array.from(rows.slice(0, 2).flat()))],
    });
    assert.equal(answer.model_name, 'bc_chain');
    assertClose(asFloat32(answer.raw_output_contents[0]), byHand, TOL, 'gRPC raw output');
  });

  it("members' statistics count the graph's calls; the audit trail records the graph's answer only", async () => {
    const count = async (model: string) =>
      ((await get(`${server.url}/v2/models/${model}/stats`)).json as Stats).model_stats[0].inference_count;
    const [chain, scaler, logreg] = await Promise.all(['bc_chain', 'scaler', 'logreg'].map(count));
    await call('bc_chain', 'raw', rows.slice(0, 3), 'probabilities', 'graph-audit-1');
    assert.deepEqual(await Promise.all(['bc_chain', 'scaler', 'logreg'].map(count)), [
      chain + 3,
      scaler + 3,
      logreg + 3,
    ]);
    const metrics = await (await fetch(server.metricsUrl!)).text();
    assert.match(metrics, /inferd_requests_total\{[^}]*model="scaler"[^}]*protocol="graph"[^}]*\} [1-9]/);
    await server.inferd.audit!.flush();
    const logged = (await get(`${server.url}/v1/predictions?request_id=graph-audit-1`)).json as {
      predictions: Array<{ model: string }>;
    };
    assert.deepEqual(
      logged.predictions.map((p) => p.model),
      ['bc_chain'],
    );
  });

  it("a request that does not fit the graph's inputs is refused as for any model", async () => {
    const r = await postJson(`${server.url}/v2/models/bc_chain/infer`, {
      inputs: [{ name: 'raw', datatype: 'FP32', shape: [1, 29], data: rows[0].slice(0, 29) }],
    });
    assert.equal(r.status, 400, r.text);
  });
});

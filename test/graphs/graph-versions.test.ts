/**
 * A graph model's versions: each version folder holds its own graph.yaml (version 1 classifies with the logistic
 * regression, version 2 with the MLP), served side by side and routed by the model's traffic policy like any
 * model's versions.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { tempDir } from '../audit/audit-helpers.js';
import { assertClose, inferBody, postJson, readJsonFixture, startTestServer } from '../helpers/server.js';

const { rows } = readJsonFixture<{ rows: number[][] }>('test/fixtures/graphs/rows.json');
const FIXTURE = 'test/fixtures/graphs/repo';

const chain = (classifier: string) => `nodes:
  - step: scale
    model: scaler
    inputs: { raw: raw }
    outputs: { scaled: scaled }
  - step: classify
    model: ${classifier}
    inputs: { features: scaled }
    outputs: { probabilities: probabilities }
outputs: [probabilities]
`;

describe('versions of a graph model', () => {
  let server: RunningServer;
  const tmp = tempDir('inferd-graph-versions-');

  before(async () => {
    for (const m of ['scaler', 'logreg', 'mlp']) await cp(join(FIXTURE, m), join(tmp.dir, m), { recursive: true });
    const dir = join(tmp.dir, 'pipeline');
    await mkdir(join(dir, '1'), { recursive: true });
    await mkdir(join(dir, '2'), { recursive: true });
    await writeFile(join(dir, 'config.yaml'), 'version_policy: all\n');
    await writeFile(join(dir, '1', 'graph.yaml'), chain('logreg'));
    await writeFile(join(dir, '2', 'graph.yaml'), chain('mlp'));
    server = await startTestServer({ repository: tmp.dir, strictReadiness: true });
  });
  after(async () => {
    await server?.close();
    tmp.cleanup();
  });

  const ask = async (path: string, name: string, data: number[][]) => {
    const body = inferBody(
      await postJson(`${server.url}/v2/models/${path}/infer`, {
        inputs: [{ name, datatype: 'FP32', shape: [data.length, 30], data: data.flat() }],
      }),
    );
    return { version: body.model_version, data: body.outputs[0].data as number[] };
  };

  it('each version runs its own graph, and the policy routes between them', async () => {
    const scaled = await ask('scaler', 'raw', rows);
    const scaledRows = rows.map((_, i) => scaled.data.slice(i * 30, (i + 1) * 30));
    const logreg = (await ask('logreg', 'features', scaledRows)).data;
    const mlp = (await ask('mlp', 'features', scaledRows)).data;
    assertClose((await ask('pipeline/versions/1', 'raw', rows)).data, logreg, 1e-6, 'version 1');
    assertClose((await ask('pipeline/versions/2', 'raw', rows)).data, mlp, 1e-6, 'version 2');
    const latest = await ask('pipeline', 'raw', rows);
    assert.equal(latest.version, '2', 'the highest version answers when no policy says otherwise');
    const set = await postJson(`${server.url}/v1/models/pipeline/traffic`, { weights: { 1: 100, 2: 0 } });
    assert.equal(set.status, 200, set.text);
    const routed = await ask('pipeline', 'raw', rows);
    assert.equal(routed.version, '1');
    assertClose(routed.data, logreg, 1e-6, 'routed to version 1');
  });
});

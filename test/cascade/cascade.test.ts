/**
 * A cascade over a started server, on the reference pair (the breast-cancer gradient-boosted trees, then the MLP)
 * and real rows of sklearn's breast cancer dataset: a confident cheap answer is the cheap model's own, an
 * unconfident one the expensive model's; the path is in the answer's parameters; /metrics has the share of requests
 * per path, the accuracy per path from feedback labels and the cost per 1,000 per path.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLabelledCsv } from '../../src/cascade/cascade-dataset.js';
import { MODELS_DIR, ROOT, postJson, startTestServer } from '../helpers/server.js';

const DATA = join(ROOT, 'test', 'fixtures', 'cascade', 'breast_cancer.csv');

interface Answer {
  model_name: string;
  model_version: string;
  outputs: Array<{ name: string; data: number[] }>;
  parameters?: Record<string, unknown>;
}

test('cheap when confident, else expensive; share, accuracy and cost per path in /metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cascade-'));
  for (const m of ['breast_cancer', 'breast_cancer_xgb'])
    cpSync(join(MODELS_DIR, m), join(dir, m), { recursive: true });
  mkdirSync(join(dir, 'bc'));
  // A threshold high enough that some rows of the test split are sent on.
  writeFileSync(
    join(dir, 'bc', 'config.yaml'),
    'cascade:\n  cheap: breast_cancer_xgb\n  expensive: breast_cancer\n  rule: { kind: max_probability, output: probabilities, threshold: 0.995 }\n',
  );
  const server = await startTestServer({
    repository: dir,
    config: { cost_per_core_hour: 0.04, audit: { enabled: true, path: join(dir, 'audit.db') } },
  });
  try {
    const { features, labels } = readLabelledCsv(DATA, { label: 'label', exclude: [], split: 'test' });
    const rows = features.slice(0, 60);
    const paths = { cheap: 0, expensive: 0 };
    const body = (row: Float32Array, id?: string) => ({
      ...(id ? { id } : {}),
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: Array.from(row) }],
      outputs: [{ name: 'probabilities' }],
    });
    for (const [i, row] of rows.entries()) {
      const r = await postJson(`${server.url}/v2/models/bc/infer`, body(row, `bc-${i}`));
      assert.equal(r.status, 200, r.text);
      const answer = r.json as Answer;
      assert.equal(answer.model_name, 'bc');
      const path = answer.parameters?.cascade_path as 'cheap' | 'expensive';
      paths[path]++;
      const member = path === 'cheap' ? 'breast_cancer_xgb' : 'breast_cancer';
      assert.equal(answer.parameters?.cascade_model, member);
      const direct = (await postJson(`${server.url}/v2/models/${member}/infer`, body(row))).json as Answer;
      assert.deepEqual(
        answer.outputs[0].data,
        direct.outputs.find((o) => o.name === 'probabilities')?.data,
        `row ${i}: the ${path} model's own answer`,
      );
      const confidence = answer.parameters?.cascade_confidence as number;
      assert.equal(path === 'cheap', confidence >= 0.995, `row ${i}: confidence ${confidence}`);
    }
    assert.ok(paths.cheap > 0 && paths.expensive > 0, `both paths answered: ${JSON.stringify(paths)}`);
    const feedback = await postJson(`${server.url}/v1/feedback`, {
      feedback: rows.map((_, i) => ({ id: `bc-${i}`, label: labels[i] })),
    });
    assert.ok(feedback.status < 300, feedback.text);
    const metrics = await (await fetch(server.metricsUrl!)).text();
    const value = (name: string, path: string) => {
      const m = new RegExp(`^${name}\\{cascade="bc",path="${path}"\\} (\\S+)$`, 'm').exec(metrics);
      assert.ok(m, `${name} for ${path} in /metrics`);
      return Number(m[1]);
    };
    assert.equal(value('inferd_cascade_requests_total', 'cheap'), paths.cheap);
    assert.equal(value('inferd_cascade_requests_total', 'expensive'), paths.expensive);
    assert.ok(Math.abs(value('inferd_cascade_request_share', 'expensive') - paths.expensive / rows.length) < 1e-9);
    assert.equal(
      value('inferd_cascade_labelled_total', 'cheap') + value('inferd_cascade_labelled_total', 'expensive'),
      60,
    );
    assert.ok(value('inferd_cascade_accuracy', 'cheap') > 0.5);
    const cheapCost = value('inferd_cascade_cost_per_1k', 'cheap');
    assert.ok(cheapCost > 0 && value('inferd_cascade_cost_per_1k', 'expensive') > cheapCost);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startTestServer } from '../helpers/server.js';

interface Stats {
  model_stats: Array<{
    name: string;
    version: string;
    inference_count: number;
    execution_count: number;
    inference_stats: { success: { count: number; ns: number } };
    batch_stats: Array<{ batch_size: number; compute_infer: { count: number } }>;
  }>;
}

test('the statistics extension counts inferences per model and version', async () => {
  const server = await startTestServer();
  try {
    const body = readFileSync('examples/breast-cancer-request.json', 'utf8'); // two rows
    for (let i = 0; i < 3; i++)
      assert.equal((await fetch(`${server.url}/v2/models/breast_cancer/infer`, { method: 'POST', body })).status, 200);
    const one = (await (await fetch(`${server.url}/v2/models/breast_cancer/versions/1/stats`)).json()) as Stats;
    assert.equal(one.model_stats.length, 1);
    const s = one.model_stats[0];
    assert.deepEqual([s.name, s.version, s.inference_count, s.execution_count], ['breast_cancer', '1', 6, 3]);
    assert.equal(s.inference_stats.success.count, 3);
    assert.ok(s.inference_stats.success.ns > 0);
    const stats = s.inference_stats as unknown as Record<string, { count: number; ns: number }>;
    for (const part of ['compute_input', 'compute_infer', 'compute_output']) {
      assert.equal(stats[part].count, 3, part);
      assert.ok(stats[part].ns > 0, `${part} has a duration`);
    }
    assert.deepEqual(
      s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count]),
      [[2, 3]],
    );
    const all = (await (await fetch(`${server.url}/v2/models/stats`)).json()) as Stats;
    assert.ok(
      all.model_stats.some((m) => m.name === 'digits') && all.model_stats.some((m) => m.name === 'breast_cancer'),
    );
    assert.equal((await fetch(`${server.url}/v2/models/nope/stats`)).status, 404);
  } finally {
    await server.close();
  }
});

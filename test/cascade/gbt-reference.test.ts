/** The cascade's reference trees, exported from sklearn to XGBoost JSON, answer as sklearn does (within float32). */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Inferd } from '../../src/inferd.js';
import { ROOT } from '../helpers/server.js';

test('breast_cancer_gbt matches the probabilities sklearn computed', async () => {
  const fixture = join(ROOT, 'test', 'fixtures', 'cascade', 'breast_cancer_gbt');
  const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
    inputs: number[][];
    probabilities: number[][];
  };
  const dir = mkdtempSync(join(tmpdir(), 'inferd-gbt-'));
  cpSync(join(fixture, '1'), join(dir, 'gbt', '1'), { recursive: true });
  const core = await Inferd.create({ modelRepository: dir });
  try {
    const rows = ref.inputs.length;
    const answer = await core.infer({
      model: 'gbt',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 30], data: Float32Array.from(ref.inputs.flat()) }],
    });
    const p = answer.outputs.find((o) => o.name === 'probabilities')!.data as Float32Array;
    for (let r = 0; r < rows; r++) assert.ok(Math.abs(p[2 * r + 1] - ref.probabilities[r][1]) < 1e-6, `row ${r}`);
  } finally {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

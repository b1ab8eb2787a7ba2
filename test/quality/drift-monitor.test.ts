/**
 * DriftMonitor's request-path contract: it only copies and enqueues (counting waits for a later event-loop turn),
 * samples at sample_rate, bounds what waits by buffer_rows (the rest is dropped and counted), and takes its
 * copies before the caller's buffers can move.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDriftConfig, type ModelConfig } from '../../src/config/index.js';
import { DriftMonitor } from '../../src/drift/drift-monitor.js';
import { profilePath, writeProfile } from '../../src/drift/profile-store.js';
import type { Profile } from '../../src/drift/profile.js';
import type { Tensor } from '../../src/tensor/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';

const PROFILE: Profile = {
  model: 'm',
  version: '1',
  input: 'input',
  columns: 2,
  rows: 100,
  createdAt: '2026-12-01T00:00:00.000Z',
  source: 'train.csv',
  features: [
    { name: 'a', kind: 'numeric', cuts: [0.5], fractions: [0.5, 0.5], missingRate: 0, count: 100, column: 0 },
    {
      name: 'b',
      kind: 'categorical',
      categories: ['0', '1'],
      fractions: [0.5, 0.5],
      missingRate: 0,
      count: 100,
      column: 1,
    },
  ],
  predictions: [
    {
      name: 'score',
      output: 'score',
      reduce: 'value',
      kind: 'numeric',
      cuts: [0.5],
      fractions: [0.5, 0.5],
      missingRate: 0,
      count: 100,
    },
  ],
};

function modelConfig(drift: unknown): ModelConfig {
  // Only what the monitor reads: the name, the input's dims and drift.
  return {
    name: 'm',
    inputs: [{ name: 'input', datatype: 'FP32', dims: [2] }],
    drift: parseDriftConfig(drift, 'm/config.yaml'),
  } as unknown as ModelConfig;
}

const rowsOf = (n: number): Tensor => ({
  name: 'input',
  datatype: 'FP32',
  shape: [n, 2],
  data: new Float32Array(n * 2).fill(1),
});
const scores = (n: number): Tensor[] => [
  { name: 'score', datatype: 'FP32', shape: [n, 1], data: new Float32Array(n).fill(0.9) },
];

describe('DriftMonitor', () => {
  let repo: string;
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'inferd-drift-'));
    await mkdir(join(repo, 'm', '1'), { recursive: true });
    await writeProfile(profilePath(repo, 'm', '1'), PROFILE);
  });
  after(() => rm(repo, { recursive: true, force: true }));

  it('copies on the request path and counts on a later turn, within buffer_rows', async () => {
    const monitor = new DriftMonitor({ repository: repo, logger: silentLogger() });
    const config = modelConfig({ window: { rows: 100, slices: 1 }, buffer_rows: 100 });
    await monitor.stateOf(config, '1').ready();
    for (let i = 0; i < 5; i++) {
      const input = rowsOf(50);
      const done = monitor.tap(config, '1', [input]);
      (input.data as Float32Array).fill(0); // the caller's buffer changes (moves to a worker) after the tap
      done?.(scores(50));
    }
    const [state] = monitor.allRecords();
    assert.equal(state.rowsCounted, 0, 'nothing is counted on the request path');
    assert.deepEqual([state.queued, state.dropped], [100, 150]);
    await monitor.drain();
    assert.deepEqual([state.rowsCounted, state.queued, state.evaluations], [100, 0, 1]);
    // The copies held the values tapped (1), not the zeros written afterwards: all in a's upper bin, b's category 1.
    const [a, b] = state.last!.features;
    assert.equal(a.statistics.find((s) => s.statistic === 'ks')!.value, 0.5);
    // scipy: jensenshannon([.5, .5, 0], [0, 1, 0], base=2) ** 2
    assert.ok(Math.abs(b.statistics.find((s) => s.statistic === 'js')!.value - 0.3112781244591328) < 1e-12);
    await monitor.stop();
  });

  it('samples at sample_rate and ignores models without drift:', async () => {
    let r = 0.5;
    const monitor = new DriftMonitor({ repository: repo, logger: silentLogger(), random: () => r });
    const config = modelConfig({ sample_rate: 0.4 });
    await monitor.stateOf(config, '1').ready();
    assert.equal(monitor.tap(config, '1', [rowsOf(1)]), undefined);
    r = 0.39;
    assert.equal(typeof monitor.tap(config, '1', [rowsOf(1)]), 'function');
    assert.equal(monitor.tap({ ...config, drift: undefined }, '1', [rowsOf(1)]), undefined);
    await monitor.stop();
  });
});

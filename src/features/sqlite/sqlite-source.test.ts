import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { featureSourceCases } from '../feature-source.case.test.js';
import { SqliteFeatureSource } from './sqlite-source.js';

featureSourceCases('sqlite (in memory)', async () => {
  const source = new SqliteFeatureSource('embedded', ':memory:');
  await source.start();
  return { source, cleanup: () => source.stop() };
});

featureSourceCases('sqlite (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-sqlite-'));
  const source = new SqliteFeatureSource('embedded', join(dir, 'nested', 'features.sqlite'));
  await source.start();
  return { source, cleanup: async () => (await source.stop(), rmSync(dir, { recursive: true, force: true })) };
});

test('rows persist in the file across a stop and a new start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-sqlite-'));
  const path = join(dir, 'features.sqlite');
  const view = {
    name: 'v',
    store: 's',
    entities: [{ name: 'id', type: 'STRING' as const }],
    maxAgeMs: 1,
    fallback: 'default' as const,
    cache: { ttlMs: 0, maxEntries: 1, maxBytes: 1024 },
    features: [
      { name: 'x', type: 'FP32' as const, default: NaN, onNull: 'impute' as const, onInvalid: 'reject' as const },
    ],
  };
  try {
    const first = new SqliteFeatureSource('s', path);
    await first.start();
    await first.write(view, [{ entity: ['a'], eventTimeMs: 1000, values: { x: 1.5 } }]);
    await first.stop();
    const second = new SqliteFeatureSource('s', path);
    await second.start();
    const [row] = await second.read(view, [['a']]);
    await second.stop();
    assert.deepEqual(row, { eventTimeMs: 1000, values: { x: 1.5 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

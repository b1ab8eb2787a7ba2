/** `inferd features ingest`: loads a CSV into a view's store with a progress bar on stderr and a summary on stdout. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFeaturesConfig } from '../../src/config/index.js';
import { SqliteFeatureSource } from '../../src/features/sqlite/sqlite-source.js';
import { CLI_PATH } from '../helpers/server.js';

const FEATURES = JSON.stringify({
  stores: { local: { type: 'sqlite', path: 'f.sqlite' } },
  feature_views: {
    spend: {
      store: 'local',
      entities: ['user_id'],
      features: { total: { type: 'FP64', min: 0 }, visits: { type: 'INT64' } },
    },
  },
});

function csv(rows: number, eventTime: string): string {
  const lines = ['user_id,event_time,total,visits'];
  for (let i = 0; i < rows; i++) lines.push(`"u,${i}",${eventTime},${(i * 1.5).toFixed(1)},${i % 2 === 0 ? i : ''}`);
  return lines.join('\n') + '\n';
}

describe('inferd features ingest', () => {
  let dir: string;
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [CLI_PATH, 'features', 'ingest', '--features-config', join(dir, 'features.yaml'), ...args],
      { encoding: 'utf8' },
    );
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'inferd-cli-'));
    writeFileSync(join(dir, 'features.yaml'), FEATURES);
    writeFileSync(join(dir, 'new.csv'), csv(1200, '2026-11-02T00:00:00Z'));
    writeFileSync(join(dir, 'old.csv'), csv(1200, '2026-11-01T00:00:00Z'));
    writeFileSync(join(dir, 'bad.csv'), 'user_id,event_time,total\nu1,2026-11-01T00:00:00Z,-3\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads every row, drawing a progress bar on stderr and a summary on stdout', async () => {
    const r = run('--view', 'spend', join(dir, 'new.csv'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^spend: 1,200 rows \(1,200 written, 0 older skipped\) from .*new\.csv in \d+\.\d s\n$/);
    assert.match(r.stderr, /ingest spend \[#{30}\] 100% 1,200 rows/);
    const config = readFeaturesConfig(join(dir, 'features.yaml'), '');
    const store = new SqliteFeatureSource('local', join(dir, 'f.sqlite'));
    await store.start();
    const [a, b] = await store.read(config.views.spend, [['u,2'], ['u,3']]);
    await store.stop();
    assert.deepEqual(a?.values, { total: 3, visits: 2 });
    assert.deepEqual(b?.values, { total: 4.5 }, 'an empty cell is a missing value: nothing is stored for it');
  });

  it('skips rows older than the stored ones', () => {
    const r = run('--view', 'spend', join(dir, 'old.csv'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1,200 rows \(0 written, 1,200 older skipped\)/);
  });

  it('names the file, line and feature of a bad value, and exits 2', () => {
    const r = run('--view', 'spend', join(dir, 'bad.csv'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.csv:2: feature 'total': -3 is below min 0/);
  });

  it('names the declared views when the view is unknown', () => {
    const r = run('--view', 'nope', join(dir, 'new.csv'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown feature view 'nope'; .* declares: spend/);
  });
});

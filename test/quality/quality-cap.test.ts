/**
 * A quality report reads at most `quality.max_labels` labels per model, the newest, over the real SQLite store:
 * memory stays bounded however many labels a window holds, and a window that held more says it is truncated.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteAuditSink } from '../../src/audit/sqlite/sqlite-audit-sink.js';
import type { FeedbackRecord } from '../../src/quality/feedback-store.js';
import { SqliteFeedbackStore } from '../../src/quality/feedback-store-sqlite.js';
import { QualityService } from '../../src/quality/quality-service.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tempDir } from '../audit/audit-helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;

/** Label i arrived i minutes before NOW; the newest 10 are right, the older ones wrong. */
function label(i: number, model = 'digits'): FeedbackRecord {
  return {
    requestId: `${model}-${i}`,
    principal: 'anonymous',
    row: 0,
    model,
    version: '1',
    predictionTimeMs: NOW - i * MINUTE - 1000,
    timeMs: NOW - i * MINUTE,
    kind: 'label',
    label: 1,
    predicted: i < 10 ? 1 : 0,
    scores: null,
    positiveClass: null,
  };
}

describe('quality reports read at most max_labels labels per model', () => {
  const dir = tempDir('inferd-quality-cap-');
  const sink = new SqliteAuditSink(join(dir.dir, 'audit.db'), 'async');
  const store = new SqliteFeedbackStore({ path: join(dir.dir, 'audit.db') });
  const windows = [
    { name: '5m', ms: 5 * MINUTE + 1 },
    { name: '1h', ms: 60 * MINUTE + 1 },
  ];
  const service = (maxLabels: number) =>
    new QualityService({
      store,
      windows,
      metricsRefreshSeconds: 0,
      maxLabels,
      retentionDays: 0,
      logger: createLogger('silent'),
      now: () => NOW,
    });

  before(async () => {
    await sink.start();
    await store.start();
    // 40 labels of digits over the last 39 minutes, 3 of another model.
    await store.insert([
      ...Array.from({ length: 40 }, (_, i) => label(i)),
      label(0, 'other'),
      label(1, 'other'),
      label(2, 'other'),
    ]);
  });
  after(async () => {
    await store.stop();
    await sink.stop();
    dir.cleanup();
  });

  it('counts only the newest max_labels labels and marks the windows they do not cover', async () => {
    const report = await service(10).report('digits');
    const [five, hour] = report.windows;
    assert.deepEqual([five.window, five.truncated, five.versions[0].labels], ['5m', false, 6]);
    assert.deepEqual([hour.window, hour.truncated, hour.versions[0].labels], ['1h', true, 10]);
    assert.equal(hour.versions[0].classification?.accuracy, 1, 'only the newest 10 (all right) were read');
  });

  it('reads everything when the window holds no more than max_labels', async () => {
    const hour = (await service(40).report('digits')).windows[1];
    assert.deepEqual(
      [hour.truncated, hour.versions[0].labels, hour.versions[0].classification?.accuracy],
      [false, 40, 10 / 40],
    );
  });

  it('caps the metrics per model, so a busy model does not crowd out the others', async () => {
    const samples = await service(10).refreshSamples();
    const labels = (model: string, window: string) =>
      samples.find((x) => x.model === model && x.window === window)?.labels;
    assert.deepEqual([labels('digits', '1h'), labels('other', '1h'), labels('other', '5m')], [10, 3, 3]);
  });
});

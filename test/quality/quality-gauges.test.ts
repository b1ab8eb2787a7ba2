/**
 * A /metrics scrape never computes the quality gauges: it is answered from the last computed samples, and when
 * those are older than metrics_refresh_seconds it starts a new computation in the background, whose result a later
 * scrape sees. Over the real SQLite store, with an injected clock and a count of the store's reads.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FeedbackRecord, FeedbackStore } from '../../src/quality/feedback-store.js';
import { SqliteFeedbackStore } from '../../src/quality/feedback-store-sqlite.js';
import { QualityService } from '../../src/quality/quality-service.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tempDir } from '../audit/audit-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function label(i: number, timeMs: number): FeedbackRecord {
  return {
    requestId: `r${i}`,
    principal: 'anonymous',
    row: 0,
    model: 'digits',
    version: '1',
    predictionTimeMs: timeMs - 1000,
    timeMs,
    kind: 'label',
    label: 1,
    predicted: 1,
    scores: null,
    positiveClass: null,
  };
}

/** The store, counting the label reads made through it. */
function counting(store: FeedbackStore): { store: FeedbackStore; reads: () => number } {
  let reads = 0;
  const wrapped = Object.create(store) as FeedbackStore;
  wrapped.window = (...args) => {
    reads++;
    return store.window(...args);
  };
  return { store: wrapped, reads: () => reads };
}

describe('quality gauges at scrape time', () => {
  const dir = tempDir('inferd-quality-gauges-');
  const sqlite = new SqliteFeedbackStore({ path: join(dir.dir, 'audit.db') });
  const { store, reads } = counting(sqlite);
  let now = T0;
  const service = new QualityService({
    store,
    windows: [{ name: '1h', ms: 3_600_000 }],
    metricsRefreshSeconds: 30,
    retentionDays: 0,
    logger: createLogger('silent'),
    now: () => now,
  });
  const labels = async () => (await service.samples()).find((s) => s.window === '1h')?.labels;

  before(async () => {
    await sqlite.start();
    await sqlite.insert([label(1, T0 - 60_000), label(2, T0 - 30_000)]);
  });
  after(async () => {
    await sqlite.stop();
    dir.cleanup();
  });

  it('answers from the last computed samples and refreshes them in the background when stale', async (t) => {
    await waitFor(async () => (await labels()) === 2, 'the first samples', t.signal);
    const readsAfterFirst = reads();
    for (let i = 0; i < 5; i++) assert.equal(await labels(), 2);
    assert.equal(reads(), readsAfterFirst, 'scrapes within metrics_refresh_seconds read nothing');

    // A label arrives and the samples become stale: the scrape that notices still answers the last values, at once.
    await sqlite.insert([label(3, T0 + 1000)]);
    now = T0 + 31_000;
    assert.equal(await labels(), 2, 'the scrape is answered from the last computed samples, not recomputed for it');
    await waitFor(async () => (await labels()) === 3, 'the refreshed samples', t.signal);
    assert.equal(reads(), readsAfterFirst + 1, 'one background computation for all those scrapes');
  });
});

/**
 * The server computes quality in a worker thread and writes labels through one: the figures must be exactly those
 * computed in process over the same store (SQLite and PostgreSQL), the write queue is bounded (503 above it), and
 * a write is answered only once committed, so closing the store loses none that were answered.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UnavailableError } from '../../src/errors/index.js';
import type { FeedbackRecord, FeedbackStore } from '../../src/quality/feedback-store.js';
import { openFeedbackStore, type FeedbackStoreSpec } from '../../src/quality/feedback-store-create.js';
import { ThreadedFeedbackStore } from '../../src/quality/feedback-store-threaded.js';
import { FeedbackWorkerClient } from '../../src/quality/feedback-worker-client.js';
import { StoreQualityCompute } from '../../src/quality/quality-compute.js';
import { ThreadedQualityCompute } from '../../src/quality/quality-compute-threaded.js';
import { tempDir } from '../audit/audit-helpers.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';
import { seededLabels } from './quality-seed.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const WINDOWS = [
  { name: '10m', ms: 600_000 },
  { name: '30m', ms: 1_800_000 },
  { name: '1h', ms: 3_600_001 },
];

/** A binary classifier over two versions (scores with ties) and a regression model, beside seeded multiclass labels. */
function mixedLabels(): FeedbackRecord[] {
  const binary = Array.from({ length: 800 }, (_, i): FeedbackRecord => {
    const p = Math.round(((i * 37) % 100) / 5) / 20; // 21 distinct scores: many ties
    return {
      requestId: `b-${i}`,
      principal: 'anonymous',
      row: i % 2,
      model: 'cancer',
      version: i % 3 === 0 ? '2' : '1',
      predictionTimeMs: NOW - i * 4000 - 500,
      timeMs: NOW - i * 4000,
      kind: 'label',
      label: (i * 7) % 3 === 0 ? 0 : 1,
      predicted: p >= 0.6 ? 1 : 0,
      scores: [1 - p, p],
      positiveClass: 1,
    };
  });
  const regression = Array.from({ length: 400 }, (_, i): FeedbackRecord => ({
    requestId: `r-${i}`,
    principal: 'anonymous',
    row: 0,
    model: 'diabetes',
    version: '1',
    predictionTimeMs: NOW - i * 8000 - 250,
    timeMs: NOW - i * 8000,
    kind: 'value',
    label: 100 + (i % 17) * 3.25,
    predicted: 100 + (i % 13) * 2.5,
    scores: null,
    positiveClass: null,
  }));
  return [...seededLabels(1500, NOW), ...binary, ...regression];
}

function cases(name: string, spec: () => FeedbackStoreSpec, cleanup: () => Promise<void>): void {
  describe(`quality computed in a worker thread equals in process (${name})`, () => {
    let direct: FeedbackStore;
    let client: FeedbackWorkerClient;

    before(async () => {
      direct = openFeedbackStore(spec());
      await direct.start();
      await direct.insert(mixedLabels());
      client = new FeedbackWorkerClient(spec(), { maxPending: 4, busyMessage: 'busy' });
      await client.start();
    });
    after(async () => {
      await client?.stop();
      await direct?.stop();
      await cleanup();
    });

    it('reports: every model, with and without truncation', async () => {
      const inProcess = new StoreQualityCompute(direct);
      const threaded = new ThreadedQualityCompute(client);
      for (const model of ['digits', 'cancer', 'diabetes']) {
        for (const maxLabels of [300, 100_000]) {
          const expected = await inProcess.report(model, WINDOWS, NOW, maxLabels);
          assert.ok(
            expected.some((w) => w.versions.length > 0),
            `${model} has labels`,
          );
          assert.deepEqual(
            await threaded.report(model, WINDOWS, NOW, maxLabels),
            expected,
            `${model}, max_labels ${maxLabels}`,
          );
        }
      }
    });

    it('gauge samples', async () => {
      const expected = await new StoreQualityCompute(direct).samples(WINDOWS, NOW, 100_000);
      assert.deepEqual(new Set(expected.map((s) => s.model)), new Set(['digits', 'cancer', 'diabetes']));
      assert.deepEqual(await new ThreadedQualityCompute(client).samples(WINDOWS, NOW, 100_000), expected);
    });
  });
}

const dir = tempDir('inferd-quality-threaded-');
cases(
  'sqlite',
  () => ({ store: 'sqlite', path: join(dir.dir, 'audit.db') }),
  async () => undefined,
);

const pg = await testPostgres();
if (typeof pg === 'string') {
  describe('quality computed in a worker thread equals in process (postgres)', { skip: pg }, () => undefined);
} else {
  const schema = pg.schema('_quality_threaded');
  cases(
    'postgres',
    () => ({ store: 'postgres', url: PG_URL, schema }),
    () => pg.cleanup(),
  );
}

describe('feedback writes through the worker thread', () => {
  const path = join(dir.dir, 'writes.db');
  const records = (from: number, n: number) => seededLabels(from + n, NOW, 'digits', 'w').slice(from);

  after(() => dir.cleanup());

  it('bounds the calls waiting for the worker: above the bound they are refused with 503, none half-written', async () => {
    const store = new ThreadedFeedbackStore({ store: 'sqlite', path }, 2);
    await store.start();
    try {
      const batches = Array.from({ length: 6 }, (_, b) => records(b * 100, 100));
      const settled = await Promise.allSettled(batches.map((batch) => store.insert(batch)));
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected', 'rejected'],
      );
      for (const s of settled)
        if (s.status === 'rejected')
          assert.ok(
            s.reason instanceof UnavailableError && /busy \(2 calls waiting\)/.test(s.reason.message),
            String(s.reason),
          );
      const stored = await store.labelsFor(
        'digits',
        batches.flat().map((r) => r.requestId),
      );
      assert.deepEqual(
        new Set(stored.map((r) => r.requestId)),
        new Set(
          batches
            .slice(0, 2)
            .flat()
            .map((r) => r.requestId),
        ),
      );
    } finally {
      await store.stop();
    }
  });

  it('answers a write only once it is committed: closing right after loses nothing that was answered', async () => {
    const store = new ThreadedFeedbackStore({ store: 'sqlite', path });
    await store.start();
    const batch = records(1000, 5000);
    const written = store.insert(batch);
    const stopped = store.stop(); // sent after the write: the worker commits it, then closes
    assert.equal(await written, 5000);
    await stopped;
    const reopened = openFeedbackStore({ store: 'sqlite', path });
    await reopened.start();
    try {
      assert.equal(
        (
          await reopened.labelsFor(
            'digits',
            batch.map((r) => r.requestId),
          )
        ).length,
        5000,
      );
    } finally {
      await reopened.stop();
    }
  });
});

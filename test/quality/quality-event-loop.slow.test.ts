/**
 * Quality reports do not hold the event loop, over a started server whose SQLite prediction log holds 100,000
 * labels: a report asking for more windows than quality.max_windows is refused with 400 naming the limit, and while
 * a report of the maximum number of windows is computed, a probe client on another connection keeps being
 * answered (counted, not timed: the report used to be computed on the event loop, so no probe got through).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { tempDir } from '../audit/audit-helpers.js';
import { errorMessage, get, tempRepository, type TempRepository } from '../helpers/server.js';
import { startQualityServer } from './feedback-helpers.js';
import { seedSqliteLabels } from './quality-seed.js';

const LABELS = 100_000;
const MAX_WINDOWS = 10;

/** `n` distinct windows, from 24h down a minute at a time: each holds every seeded label (the last hour's). */
function windows(n: number): string {
  return Array.from({ length: n }, (_, i) => `${24 * 60 - i}m`).join(',');
}

describe('quality reports over 100,000 labels', () => {
  const dir = tempDir('inferd-quality-loop-');
  let repo: TempRepository;
  let server: RunningServer;

  before(async () => {
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 8\n' } },
    });
    const db = join(dir.dir, 'audit.db');
    await seedSqliteLabels(db, LABELS, Date.now());
    // Gauges are not refreshed by themselves during this test (a day), so only the report occupies the worker.
    server = await startQualityServer(repo.dir, { store: 'sqlite', path: db }, { metrics_refresh_seconds: 86_400 });
  });
  after(async () => {
    await server?.close();
    await repo?.cleanup();
    dir.cleanup();
  });

  it(`refuses more than ${MAX_WINDOWS} windows with 400 naming the limit, before computing anything`, async () => {
    const r = await get(`${server.url}/v1/models/digits/quality?windows=${windows(MAX_WINDOWS + 1)}`);
    assert.equal(r.status, 400, r.text);
    assert.match(
      errorMessage(r),
      /11 windows asked for; a quality report computes at most 10 \(quality\.max_windows\)/,
    );
    const many = await get(`${server.url}/v1/models/digits/quality?windows=${windows(1000)}`);
    assert.equal(many.status, 400, many.text);
  });

  it(`keeps answering other requests while it computes a report of ${MAX_WINDOWS} windows`, async () => {
    let reportDone = false;
    let probesDuring = 0;
    const report = get(`${server.url}/v1/models/digits/quality?windows=${windows(MAX_WINDOWS)}`).finally(
      () => (reportDone = true),
    );
    // One probe at a time on its own connection until the report is answered; count those answered before it.
    while (!reportDone) {
      const probe = await get(`${server.url}/v2/health/live`);
      assert.equal(probe.status, 200);
      if (!reportDone) probesDuring++;
    }
    const r = await report;
    assert.equal(r.status, 200, r.text);
    const body = r.json as { windows: Array<{ window: string; versions: Array<{ labels: number }> }> };
    assert.equal(body.windows.length, MAX_WINDOWS);
    assert.deepEqual(
      body.windows.map((w) => w.versions[0].labels),
      Array(MAX_WINDOWS).fill(LABELS),
      'every window holds every seeded label',
    );
    assert.ok(probesDuring >= 5, `only ${probesDuring} probe(s) were answered while the report was computed`);
  });
});

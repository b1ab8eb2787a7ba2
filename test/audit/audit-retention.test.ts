/**
 * Retention: records older than retention_days are deleted, at start and then periodically.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { SqliteAuditSink } from '../../src/audit/sqlite/sqlite-audit-sink.js';
import { sampleRecord } from '../../src/audit/audit-sink.case.test.js';
import { resolveServerConfig } from '../../src/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { createAuditMetrics } from '../../src/telemetry/audit-metrics.js';
import { tempDir } from './audit-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const tmp = tempDir('inferd-audit-retention-');
after(() => tmp.cleanup());

/** A trail on a SQLite file with a fixed clock. */
function trail(path: string, retentionDays: number, intervalMs = 3_600_000) {
  const config = resolveServerConfig({ audit: { enabled: true, path, retention_days: retentionDays } }).audit;
  const sink = new SqliteAuditSink(path, 'async');
  return {
    sink,
    trail: new AuditTrail({
      config,
      sink,
      metrics: createAuditMetrics(),
      logger: silentLogger(),
      now: () => NOW,
      retentionIntervalMs: intervalMs,
    }),
  };
}

describe('audit retention', () => {
  it('deletes records older than retention_days and keeps the rest', async () => {
    const { sink, trail: t } = trail(join(tmp.dir, 'a.db'), 7);
    await t.start();
    try {
      await sink.write([
        sampleRecord({ requestId: 'old', timeMs: NOW - 8 * DAY }),
        sampleRecord({ requestId: 'new', timeMs: NOW - 6 * DAY }),
      ]);
      assert.equal(await t.runRetention(), 1);
      assert.deepEqual(
        (await t.query({ limit: 10 })).map((p) => p.request_id),
        ['new'],
      );
    } finally {
      await t.stop();
    }
  });

  it('runs by itself every retention interval', async () => {
    const { sink, trail: t } = trail(join(tmp.dir, 'b.db'), 1, 20);
    await t.start();
    try {
      // Written after the pass at start: only a periodic pass can delete it. Waited for, not slept on.
      await sink.write([sampleRecord({ requestId: 'stale', timeMs: NOW - 2 * DAY })]);
      await waitFor(
        async () => (await t.query({ limit: 10 })).length === 0,
        'a periodic retention pass to delete the stale record',
      );
    } finally {
      await t.stop();
    }
  });

  it('keeps everything at retention_days 0', async () => {
    const { sink, trail: t } = trail(join(tmp.dir, 'c.db'), 0);
    await t.start();
    try {
      await sink.write([sampleRecord({ requestId: 'ancient', timeMs: NOW - 3650 * DAY })]);
      assert.equal(await t.runRetention(), 0);
      assert.equal((await t.query({ limit: 10 })).length, 1);
    } finally {
      await t.stop();
    }
  });
});

/**
 * The canary coordination of one server's processes on the SQLite state file: a verdict is recorded once, only by
 * the leader and only from the progress it judged; an operator's action refuses a verdict judged before it; the
 * evidence of every process is read back for the leader to sum.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Leadership, RecordedProgress } from '../../routing/canary-coordination.js';
import { sampleRollout } from '../../routing/rollout-store.case.test.js';
import { silentLogger } from '../../telemetry/logger.js';
import { createSqliteCanaryCoordination } from './sqlite-canary-coordination.js';

function leadership(leads: boolean): Leadership & { leads: boolean } {
  return {
    leads,
    isLeader() {
      return this.leads;
    },
    onChange: () => () => undefined,
    close: async () => undefined,
  };
}

const next = (from: RecordedProgress): RecordedProgress => ({
  ...from,
  stepIndex: from.stepIndex + 1,
  weight: 100,
  decision: { action: 'advance', at: 1, reason: 'checks passed', failed: [], checks: [], by: 'analysis' },
});

test('a verdict is recorded once, by the leader, from the progress it judged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-sqlite-canary-'));
  const path = join(dir, 'rollouts.db');
  const lead = leadership(true);
  const other = leadership(false);
  const a = createSqliteCanaryCoordination({ path, replica: 'a', leadership: lead, logger: silentLogger() });
  const b = createSqliteCanaryCoordination({ path, replica: 'b', leadership: other, logger: silentLogger() });
  try {
    const rollout = sampleRollout('r1', 'progressing', 1000);
    const from = await a.ledger.progress(rollout);
    assert.equal(from.seq, 0);
    assert.equal(await b.ledger.commit(from, next(from)), false, 'not the leader: nothing recorded');
    assert.equal(await a.ledger.commit(from, next(from)), true);
    assert.equal(await a.ledger.commit(from, next(from)), false, 'the same verdict twice: the second is refused');
    const now = await b.ledger.progress(rollout);
    assert.equal(now.seq, 1);
    assert.equal(now.stepIndex, from.stepIndex + 1);
    await b.ledger.operator({ ...rollout, stepIndex: now.stepIndex, status: 'paused' });
    assert.equal(await a.ledger.commit(now, next(now)), false, 'judged before the operator acted: refused');
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

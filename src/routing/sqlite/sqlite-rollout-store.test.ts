import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { RoutingEvent } from '../event-log.js';
import type { Rollout } from '../rollout.js';
import { parseRolloutSpec } from '../rollout-spec.js';
import { SqliteRolloutStore } from './sqlite-rollout-store.js';

function rollout(id: string, status: Rollout['status'], startedAt: number): Rollout {
  const spec = parseRolloutSpec({ candidate: 2, steps: [10, 50, 100], interval_ms: 1000, checks: { error_rate: { min_samples: 5 } } });
  return {
    id, model: 'digits', spec, stable: 1, status, stepIndex: 1, weight: 50, startedAt, stepStartedAt: startedAt + 10, reviewAt: startedAt + 1010,
    lastDecision: { action: 'advance', at: startedAt + 10, reason: 'every check passed at 10%: advancing to 50%', failed: [], checks: [], by: 'analysis' },
  };
}

const event = (seq: number, type: RoutingEvent['type'], extra: Partial<RoutingEvent> = {}): RoutingEvent => ({ seq, time: new Date(seq * 1000).toISOString(), model: 'digits', type, message: `event ${seq}`, ...extra });

test('keeps rollouts, events and policies across closing and reopening the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-rollout-store-'));
  try {
    const path = join(dir, 'nested', 'rollouts.db');
    const store = SqliteRolloutStore.open(path);
    const first = rollout('a', 'progressing', 1000);
    await store.saveRollout(first, 2000);
    await store.saveRollout(rollout('b', 'succeeded', 500), 600);
    first.status = 'paused';
    await store.saveRollout(first, 3000);
    for (let seq = 1; seq <= 5; seq++) await store.saveEvent(event(seq, 'rollout_held', { rollout: 'a', version: 2, evidence: { seq, nested: { ok: true } } }));
    await store.savePolicy('digits', { weights: new Map([[1, 50], [2, 50]]), stickyParameter: 'user', shadow: { version: 2, sampleRate: 0.1 }, failed: new Set([3]) }, 3000);
    await store.close();

    const again = SqliteRolloutStore.open(path);
    const saved = await again.load(3);
    assert.deepEqual(saved.rollouts.map((r) => [r.id, r.status]), [['b', 'succeeded'], ['a', 'paused']], 'oldest first, latest write wins');
    assert.deepEqual(saved.rollouts[1], JSON.parse(JSON.stringify(first)), 'every field comes back (undefined ones stay absent)');
    assert.deepEqual(saved.events.map((e) => e.seq), [3, 4, 5], 'the newest events, in order');
    assert.deepEqual(saved.events[0], event(3, 'rollout_held', { rollout: 'a', version: 2, evidence: { seq: 3, nested: { ok: true } } }));
    assert.equal(saved.policies.length, 1);
    const p = saved.policies[0].policy;
    assert.deepEqual([[...p.weights!], p.stickyParameter, p.shadow, [...p.failed]], [[[1, 50], [2, 50]], 'user', { version: 2, sampleRate: 0.1 }, [3]]);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged row is refused with a reason naming the rollout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-rollout-store-'));
  try {
    const path = join(dir, 'rollouts.db');
    const store = SqliteRolloutStore.open(path);
    await store.saveRollout(rollout('a', 'progressing', 1), 2);
    await store.close();
    const db = new Database(path);
    db.prepare(`UPDATE rollouts SET data = json_set(data, '$.status', 'sideways')`).run();
    db.close();
    const again = SqliteRolloutStore.open(path);
    await assert.rejects(again.load(10), /rollout a in .*rollouts\.db has an unexpected shape \(.*status.*\); the rollout store is damaged/);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a path that cannot be created is refused with what to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-rollout-store-'));
  try {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    assert.throws(() => SqliteRolloutStore.open(join(blocker, 'state', 'rollouts.db')), /cannot open the rollout store .*a-file\/state\/rollouts\.db: ENOTDIR.*; set rollouts\.path to a writable file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

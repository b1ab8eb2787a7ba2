/**
 * The SQLite store shared by the processes of one server: the shared RolloutStore cases, and what one process
 * commits reaches the others through `follow` (never itself), numbered by the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rolloutStoreCases, sampleRollout } from '../rollout-store.case.test.js';
import type { RemoteChanges } from '../rollout-store.js';
import { SqliteRolloutStore } from './sqlite-rollout-store.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` (the stores deliver on their own poll); fails after a generous bound, only against a hang. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000 && !condition(); i++) await sleep(20);
  assert.ok(condition(), `no ${what}`);
}

const casesDir = mkdtempSync(join(tmpdir(), 'inferd-shared-store-'));
rolloutStoreCases('sqlite shared by processes', {
  open: async (name) => SqliteRolloutStore.open(join(casesDir, name, 'rollouts.db'), { origin: 'one', pollMs: 50 }),
  cleanup: async () => rmSync(casesDir, { recursive: true, force: true }),
});

test("one process's changes reach the other through follow, and never come back to the writer", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-shared-store-'));
  const path = join(dir, 'rollouts.db');
  const a = SqliteRolloutStore.open(path, { origin: 'a', pollMs: 20 });
  const b = SqliteRolloutStore.open(path, { origin: 'b', pollMs: 20 });
  try {
    await a.load(10);
    await b.load(10);
    const atA: RemoteChanges[] = [];
    const atB: RemoteChanges[] = [];
    a.follow!((c) => atA.push(c));
    b.follow!((c) => atB.push(c));
    const rollout = sampleRollout('r1', 'progressing', 1000);
    const policy = { weights: new Map([[1, 100]]), stickyParameter: 'user', failed: new Set<number>() };
    await a.saveChange({
      event: { seq: 7, time: new Date(0).toISOString(), model: 'digits', type: 'traffic_changed', message: 'from a' },
      model: 'digits',
      policy,
      rollout,
      updatedAt: 5,
    });
    await waitFor(() => atB.length > 0, 'b to follow the change a made');
    assert.deepEqual(
      atB[0].events.map((e) => e.message),
      ['from a'],
    );
    assert.deepEqual([...(atB[0].policies[0].policy.weights ?? [])], [[1, 100]]);
    assert.equal(atB[0].rollouts[0].id, 'r1');
    await b.savePolicy(
      'digits',
      {
        ...policy,
        weights: new Map([
          [1, 50],
          [2, 50],
        ]),
      },
      6,
    );
    await waitFor(() => atA.length > 0, 'a to follow the change b made');
    assert.deepEqual(
      [...(atA[0].policies[0].policy.weights ?? [])],
      [
        [1, 50],
        [2, 50],
      ],
    );
    // Each saw only the other's change.
    assert.equal(atA.length, 1);
    assert.equal(atB.length, 1);
    // A third process opening now reads both, with the events numbered by the file.
    const c = SqliteRolloutStore.open(path, { origin: 'c', pollMs: 20 });
    const state = await c.load(10);
    await c.close();
    assert.deepEqual(
      state.events.map((e) => e.seq),
      [1],
    );
    assert.deepEqual(
      [...(state.policies[0].policy.weights ?? [])],
      [
        [1, 50],
        [2, 50],
      ],
    );
  } finally {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

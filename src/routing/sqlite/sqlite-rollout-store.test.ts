/** The shared RolloutStore cases against SQLite files, and what is particular to SQLite: damage and paths. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { rolloutStoreCases, sampleRollout } from '../rollout-store.case.test.js';
import { SqliteRolloutStore } from './sqlite-rollout-store.js';

const casesDir = mkdtempSync(join(tmpdir(), 'inferd-rollout-store-'));
rolloutStoreCases('sqlite', {
  // A folder that does not exist yet: the store creates it.
  open: async (name) => SqliteRolloutStore.open(join(casesDir, name, 'rollouts.db')),
  cleanup: async () => rmSync(casesDir, { recursive: true, force: true }),
});

test('a damaged row is refused with a reason naming the rollout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-rollout-store-'));
  try {
    const path = join(dir, 'rollouts.db');
    const store = SqliteRolloutStore.open(path);
    await store.saveRollout(sampleRollout('a', 'progressing', 1), 2);
    await store.close();
    const db = new Database(path);
    db.prepare(`UPDATE rollouts SET data = json_set(data, '$.status', 'sideways')`).run();
    db.close();
    const again = SqliteRolloutStore.open(path);
    await assert.rejects(
      again.load(10),
      /rollout a in .*rollouts\.db has an unexpected shape \(.*status.*\); the rollout store is damaged/,
    );
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
    assert.throws(
      () => SqliteRolloutStore.open(join(blocker, 'state', 'rollouts.db')),
      /cannot open the rollout store .*a-file\/state\/rollouts\.db: ENOTDIR.*; set state\.path to a writable file/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

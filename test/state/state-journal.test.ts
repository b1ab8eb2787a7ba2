/**
 * Nothing acknowledged is lost: a change a replica acknowledges while PostgreSQL (a server of the test's own) is
 * away is journaled in its state directory before the answer; the replica is killed before the database returns;
 * started again on the same state directory, it writes the change first, and another replica serves it. A journal
 * replayed again after its changes were written (a kill between the commit and the journal update) adds nothing and
 * overwrites nothing. Without a writable state directory the replica says at start that queued changes would be lost.
 *
 * The kill: the journal file is copied while replica a is still running, as it is on disk when the API has answered
 * (it is written synchronously, `synchronous = FULL`, before the answer); a SIGKILL would leave that file. The
 * restarted replica opens the copy, so nothing a's orderly close does can help it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RunningServer } from '../../src/index.js';
import { OwnPostgres, postgresServerSkipReason } from '../helpers/own-postgres.js';
import { startTestServer } from '../helpers/server.js';
import { call, MODELS, tempRepo, waitFor } from '../lifecycle/lifecycle-helpers.js';

const skip = postgresServerSkipReason('the state journal test');
const JOURNAL = 'pending-state-changes.db';

interface TrafficJson {
  weights: Record<string, number> | null;
}

describe('changes queued while PostgreSQL is away survive a killed replica', { skip }, () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.heavy },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  const dirs = mkdtempSync(join(tmpdir(), 'inferd-journal-'));
  const stateDir = (name: string) => join(dirs, name);
  let own: OwnPostgres | undefined;
  const servers: RunningServer[] = [];
  let state: { store: 'postgres'; url: string; schema: string; poll_ms: number };

  const start = async (dir: string, logs?: string[]) => {
    const s = await startTestServer({
      repository: repo.dir,
      config: { state, state_dir: dir, grpc_port: -1, metrics_port: -1 },
      ...(logs && { logs, logLevel: 'warn' as const }),
    });
    servers.push(s);
    return s;
  };

  before(async () => {
    own = await OwnPostgres.create();
    await own.start();
    state = { store: 'postgres', url: own.url, schema: 'inferd', poll_ms: 200 };
  });

  after(async () => {
    for (const s of servers) await s.close();
    await own?.destroy();
    rmSync(dirs, { recursive: true, force: true });
    repo.cleanup();
  });

  const weightOf2 = async (s: RunningServer) =>
    (await call<TrafficJson>(`${s.url}/v1/models/digits/traffic`)).body.weights?.['2'];
  const setWeights = (s: RunningServer, w2: number) =>
    call<{ error?: string }>(`${s.url}/v1/models/digits/traffic`, { body: { weights: { 1: 100 - w2, 2: w2 } } });
  const degraded = async (s: RunningServer) => {
    const text = await (await fetch(`${s.url}/v2/health/ready`)).text();
    return text ? true : undefined;
  };
  /** The traffic changes in the shared event log, read from PostgreSQL itself. */
  const storedTrafficEvents = async () => {
    const client = new pg.Client({ connectionString: own!.url });
    await client.connect();
    try {
      const r = await client.query<{ message: string }>(
        `SELECT message FROM inferd.rollout_events WHERE type = 'traffic_changed' ORDER BY seq`,
      );
      return r.rows.map((row) => row.message);
    } finally {
      await client.end();
    }
  };
  const pendingIn = (dir: string) => {
    const db = new Database(join(dir, JOURNAL), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM pending').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('writes the journaled change at the next start, once, and another replica serves it', async () => {
    const a = await start(stateDir('a'));
    const b = await start(stateDir('b'));
    assert.equal((await setWeights(a, 50)).status, 200);
    await waitFor('b at 50/50', async () => ((await weightOf2(b)) === 50 ? true : undefined));
    assert.equal(pendingIn(stateDir('a')), 0, 'a written change leaves the journal');

    await own!.stop('immediate');
    await waitFor('a to notice the outage', () => degraded(a));
    const changed = await setWeights(a, 80);
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(pendingIn(stateDir('a')), 1, 'the acknowledged change is journaled');

    // a is killed: what is on disk now is all that is left of it.
    const a2Dir = stateDir('a2');
    const replayAgainDir = stateDir('a3');
    for (const d of [a2Dir, replayAgainDir]) {
      mkdirSync(d);
      copyFileSync(join(stateDir('a'), JOURNAL), join(d, JOURNAL));
    }
    await a.close();

    await own!.start();
    await waitFor('b back on the database', async () => ((await degraded(b)) ? undefined : true));
    assert.equal(await weightOf2(b), 50, 'the change died with a');

    const a2 = await start(a2Dir);
    assert.equal(await weightOf2(a2), 80, 'the restarted replica writes the journal before it loads the state');
    await waitFor('b serving the change a acknowledged before it was killed', async () =>
      (await weightOf2(b)) === 80 ? true : undefined,
    );
    assert.equal(pendingIn(a2Dir), 0, 'a written change leaves the journal');
    assert.equal((await storedTrafficEvents()).length, 2, 'the 50/50 change and the 80/20 one, once each');

    // A later change by b, then a replica killed after its commit but before its journal was updated starts.
    assert.equal((await setWeights(b, 30)).status, 200);
    await waitFor('a2 at 30', async () => ((await weightOf2(a2)) === 30 ? true : undefined));
    const a3 = await start(replayAgainDir);
    assert.equal(pendingIn(replayAgainDir), 0);
    assert.equal(await weightOf2(a3), 30, 'the change written already is not written over the later one');
    assert.equal(await weightOf2(b), 30);
    assert.equal((await storedTrafficEvents()).length, 3, 'its event is not added twice');
  });

  it('says at start that queued changes would not survive a restart when the state directory is not writable', async () => {
    const notADir = join(dirs, 'a-file');
    writeFileSync(notADir, '');
    const logs: string[] = [];
    const s = await start(join(notADir, 'state'), logs);
    assert.ok(
      logs.some((l) => /queued while PostgreSQL is unreachable will not survive a restart/.test(l)),
      logs.join('\n'),
    );
    assert.equal((await setWeights(s, 10)).status, 200, 'changes are still taken');
    assert.equal(existsSync(join(notADir, 'state', JOURNAL)), false);
  });
});

/**
 * The canary leader, the verdict ledger and the shared evidence against the real test PostgreSQL, each test in a
 * schema of its own. Retry and exchange intervals are injected (tens of milliseconds, or rounds driven by hand);
 * every wait polls a condition.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { ModelConfig } from '../../src/config/index.js';
import { ModelNotReadyError, NotFoundError } from '../../src/errors/index.js';
import { assembleVersion, type ModelVersion, type VersionId } from '../../src/registry/model-version.js';
import type { RegisteredModel } from '../../src/registry/registered-model.js';
import type { LocalEvidence } from '../../src/routing/canary-coordination.js';
import type { Rollout } from '../../src/routing/rollout.js';
import { parseRolloutSpec } from '../../src/routing/rollout-spec.js';
import type { VersionSource } from '../../src/routing/traffic-director.js';
import { TrafficManager } from '../../src/routing/traffic-manager.js';
import { evaluateChecks } from '../../src/routing/verdict.js';
import type { WindowSummary } from '../../src/routing/version-window.js';
import {
  createCanaryCoordination,
  type PostgresCanaryCoordination,
} from '../../src/state/postgres/canary-coordination.js';
import { createCanaryTables } from '../../src/state/postgres/canary-tables.js';
import { PostgresLeadership, LOCK_CLASS } from '../../src/state/postgres/leadership.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';
import { waitFor } from '../helpers/wait-for.js';

const pgTest = await testPostgres();
const skip = typeof pgTest === 'string' ? pgTest : undefined;
const pools: pg.Pool[] = [];
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const pool of pools) await pool.end();
  if (typeof pgTest !== 'string') await pgTest.cleanup();
});

function admin(): pg.Client {
  if (typeof pgTest === 'string') throw new Error(pgTest);
  return pgTest.client;
}

function newSchema(name: string): string {
  if (typeof pgTest === 'string') throw new Error(pgTest);
  return pgTest.schema(`_${name}`);
}

function newPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

function contender(schema: string, replica: string, retryMs = 30): PostgresLeadership {
  const l = new PostgresLeadership({
    connection: { connectionString: PG_URL },
    schema,
    replica,
    logger: silentLogger(),
    retryMs,
  });
  closers.push(() => l.close());
  return l;
}

async function coordination(schema: string, replica: string): Promise<PostgresCanaryCoordination> {
  const c = await createCanaryCoordination(newPool(), schema, replica, {
    logger: silentLogger(),
    retryMs: 30,
    exchangeMs: 3_600_000, // rounds are driven by hand
    start: false,
  });
  closers.push(() => c.close());
  return c;
}

/** The backends holding a schema's canary lock, as `pg_locks` shows them. */
async function lockHolder(schema: string): Promise<number[]> {
  const { rows } = await admin().query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
       AND classid = $1::bigint::oid AND objid = (hashtext($2)::bigint & 4294967295)::oid`,
    [LOCK_CLASS, `${schema}.canary_leader`],
  );
  return rows.map((r) => r.pid);
}

/** A registry stand-in: model 'm' with READY versions 1 and 2, (a rollout gives them their canary windows). */
function fakeVersions(): VersionSource {
  const versionId = (version: number): VersionId => ({ model: 'm', version, label: `${version}` });
  const ready = (version: number): ModelVersion =>
    assembleVersion({
      id: versionId(version),
      stages: [],
      loadMs: 0,
      readyAt: 0,
      fingerprint: '',
      coldRuns: () => 0,
      warmup: { source: 'disabled', requests: 0, ms: 0 },
      // Routing never calls into the scheduler or reads the config.
      scheduler: { close: async () => undefined } as unknown as ModelVersion['scheduler'],
      config: {} as ModelConfig,
    });
  const versions = new Map([1, 2].map((v) => [v, { state: 'READY' as const, id: versionId(v), loaded: ready(v) }]));
  const model: RegisteredModel = { name: 'm', versions };
  return {
    model: (name) => {
      if (name !== 'm') throw new NotFoundError(`unknown model '${name}'`);
      return model;
    },
    resolveReady: (name, version) => {
      const v = versions.get(version ? Number(version) : 2)?.loaded;
      if (name !== 'm' || !v) throw new ModelNotReadyError(`model '${name}' version ${version} is not ready`);
      return v;
    },
    loadedIndex: () => [{ name: 'm' }],
  };
}

/** One replica: a TrafficManager with the PostgreSQL coordination, on a clock the test moves. */
async function replica(schema: string, name: string, clock: { now: number }) {
  const c = await coordination(schema, name);
  let point = 0;
  const manager = new TrafficManager({
    versions: fakeVersions(),
    logger: silentLogger(),
    clock: () => clock.now,
    random: () => (point = (point + 0.618034) % 1), // evenly spread points: the same split every run
    coordination: c,
  });
  manager.start();
  closers.push(async () => manager.stop());
  /** Serves n requests; the candidate (2) fails one in two when `candidateFails`. */
  const traffic = (n: number, candidateFails: boolean) => {
    const served = { 1: 0, 2: 0 } as Record<number, number>;
    let candidate = 0;
    for (let i = 0; i < n; i++) {
      const request = { model: 'm', inputs: [] };
      const v = manager.director.choose(request);
      served[v.id.version]++;
      const trace = manager.director.begin(v, request);
      clock.now += 1;
      if (v.id.version === 2 && candidateFails && candidate++ % 2 === 0) manager.director.failed(request);
      else
        manager.director.answered(trace, [
          { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(i % 10)]) },
        ]);
    }
    return served;
  };
  const exchange = () => c.evidence.exchange(() => manager.canary.localEvidence());
  return { c, manager, traffic, exchange, name };
}

/** What another replica's change feed would deliver: a copy of the rollout as recorded. */
function copyOf(r: Rollout): Rollout {
  return structuredClone(r);
}

describe('canary leadership over a PostgreSQL advisory lock', { skip }, () => {
  it('elects exactly one leader among three contenders, and keeps it', async () => {
    const schema = newSchema('elect');
    const all = ['a', 'b', 'c'].map((r) => contender(schema, r));
    await Promise.all(all.map((l) => l.check()));
    assert.equal(all.filter((l) => l.isLeader()).length, 1, 'one leader after the first round');
    const first = all.findIndex((l) => l.isLeader());
    for (let round = 0; round < 5; round++) await Promise.all(all.map((l) => l.check()));
    assert.deepEqual(
      all.map((l) => l.isLeader()),
      all.map((_, i) => i === first),
      'the same leader, alone, round after round',
    );
    assert.equal((await lockHolder(schema)).length, 1);
  });

  it('a leader whose session is terminated (a SIGKILLed replica) is replaced by another contender', async () => {
    const schema = newSchema('takeover');
    const all = ['a', 'b', 'c'].map((r) => contender(schema, r));
    const changes: Array<[string, boolean]> = [];
    all.forEach((l, i) => l.onChange((leader) => changes.push([['a', 'b', 'c'][i], leader])));
    for (const l of all) l.start();
    await waitFor(() => all.some((l) => l.isLeader()), 'a first leader');
    const old = all.findIndex((l) => l.isLeader());
    const [pid] = await lockHolder(schema);
    await admin().query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(
      () => all.some((l, i) => i !== old && l.isLeader()),
      'another contender taking the lead after the leader session was terminated',
    );
    await waitFor(() => !all[old].isLeader(), 'the old leader stepping down');
    assert.equal(all.filter((l) => l.isLeader()).length, 1);
    const holders = await lockHolder(schema);
    assert.equal(holders.length, 1);
    assert.notEqual(holders[0], pid);
    assert.deepEqual(
      changes.filter(([r]) => r === ['a', 'b', 'c'][old]),
      [
        [['a', 'b', 'c'][old], true],
        [['a', 'b', 'c'][old], false],
      ],
      'the old leader was told it leads, then that it does not',
    );
  });

  it('close() releases the lock at once', async () => {
    const schema = newSchema('close');
    const [a, b] = ['a', 'b'].map((r) => contender(schema, r));
    await a.check();
    await b.check();
    assert.ok(a.isLeader() && !b.isLeader());
    await a.close();
    await b.check();
    assert.ok(b.isLeader());
  });
});

describe('the verdict ledger', { skip }, () => {
  const spec = parseRolloutSpec({
    candidate: 2,
    stable: 1,
    steps: [10, 50, 100],
    interval_ms: 1000,
    checks: { error_rate: { min_samples: 30 } },
  });
  const rollout = (): Rollout => ({
    id: randomUUID(),
    model: 'm',
    spec,
    stable: 1,
    status: 'progressing',
    stepIndex: 0,
    weight: 10,
    startedAt: 0,
    stepStartedAt: 0,
    reviewAt: 1000,
  });
  const decision = {
    action: 'advance' as const,
    at: 1000,
    reason: 'passed',
    failed: [],
    checks: [],
    by: 'analysis' as const,
  };

  it('records a verdict once, and refuses one judged from a step the rollout has left', async () => {
    const schema = newSchema('ledger');
    const a = await coordination(schema, 'a');
    const b = await coordination(schema, 'b');
    await a.leadership.check();
    await b.leadership.check();
    assert.ok(a.leadership.isLeader() && !b.leadership.isLeader());
    const r = rollout();
    const from = await a.ledger.progress(r);
    assert.equal(from.seq, 0);
    const next = { ...from, seq: 1, stepIndex: 1, weight: 50, stepStartedAt: 1000, reviewAt: 2000, decision };
    assert.equal(await b.ledger.commit(from, next), false, 'a replica that does not lead writes nothing');
    assert.equal(await a.ledger.commit(from, next), true);
    assert.equal(await a.ledger.commit(from, next), false, 'the same verdict again: the step has moved on');
    const stale = { ...from, stepIndex: 0 };
    assert.equal(
      await a.ledger.commit(stale, { ...next, seq: 1, decision: { ...decision, action: 'rollback' } }),
      false,
      'a verdict judged from step 0 after step 0 was decided',
    );
    const now = await b.ledger.progress(r);
    assert.deepEqual([now.seq, now.stepIndex, now.weight], [1, 1, 50]);
    assert.deepEqual(
      (await a.ledger.verdicts(r.id)).map((v) => [v.seq, v.action, v.step, v.replica]),
      [[1, 'advance', 0, 'a']],
    );
  });

  it('a leader cut off between judging and writing writes nothing; its successor records the verdict', async () => {
    const schema = newSchema('cutoff');
    const a = await coordination(schema, 'a');
    const b = await coordination(schema, 'b');
    await a.leadership.check();
    const r = rollout();
    const judged = await a.ledger.progress(r); // a judges from here...
    const [pid] = await lockHolder(schema);
    await admin().query('SELECT pg_terminate_backend($1)', [pid]); // ...and its session dies
    await waitFor(async () => {
      await b.leadership.check();
      return b.leadership.isLeader();
    }, 'b taking the lead');
    const next = { ...judged, seq: 1, stepIndex: 1, weight: 50, stepStartedAt: 1000, reviewAt: 2000, decision };
    assert.equal(await b.ledger.commit(await b.ledger.progress(r), next), true);
    const late = await a.ledger.commit(judged, next).catch((err: Error) => err.message);
    assert.notEqual(late, true, 'the old leader cannot record its verdict');
    assert.equal(a.leadership.isLeader(), false);
    assert.deepEqual(
      (await b.ledger.verdicts(r.id)).map((v) => [v.seq, v.replica]),
      [[1, 'b']],
    );
  });

  it('an operator action moves the recorded seq, so a verdict judged before it is refused', async () => {
    const schema = newSchema('operator');
    const a = await coordination(schema, 'a');
    await a.leadership.check();
    const r = rollout();
    const judged = await a.ledger.progress(r);
    await a.ledger.operator({ ...r, status: 'paused' });
    const next = { ...judged, seq: 1, stepIndex: 1, weight: 50, decision };
    assert.equal(await a.ledger.commit(judged, next), false);
    assert.deepEqual(await a.ledger.verdicts(r.id), []);
  });
});

describe('canary evidence from all replicas', { skip }, () => {
  const window = (requests: number, errors: number): WindowSummary => ({
    requests,
    errors,
    latenciesMs: Array.from({ length: requests - errors }, (_, i) => 10 + (i % 7)),
    classes: new Map([[1, requests - errors]]),
    values: [],
    predictionKind: 'class',
  });

  it('sums the per-replica counts (each below the minimum, together above it), idempotently', async () => {
    const schema = newSchema('evidence');
    const writers = await Promise.all(['a', 'b', 'c'].map((r) => coordination(schema, r)));
    await writers[0].leadership.check();
    const rollout = randomUUID();
    const local: LocalEvidence = {
      rollout,
      model: 'm',
      stepIndex: 0,
      evidence: { stable: window(20, 0), candidate: window(20, 8) },
    };
    const checks = parseRolloutSpec({ candidate: 2, checks: { error_rate: { min_samples: 50 } } }).checks;
    assert.equal(evaluateChecks(checks, local.evidence)[0].status, 'insufficient', 'one replica alone: too few');
    for (let round = 0; round < 3; round++) for (const w of writers) await w.evidence.exchange(() => [local]);
    const summed = writers[0].evidence.summed(rollout, 0);
    assert.ok(summed);
    assert.equal(writers[0].evidence.replicasIn(rollout, 0), 3);
    assert.deepEqual(
      [summed.candidate.requests, summed.candidate.errors, summed.stable.requests, summed.candidate.classes.get(1)],
      [60, 24, 60, 36],
      'three replicas of 20 requests: 60, however often each wrote',
    );
    assert.equal(summed.stable.latenciesMs.length, 60);
    assert.ok(Math.abs(summed.stable.latenciesMs.at(-1)! - 16) <= 16 * 0.005, 'latencies within the sketch accuracy');
    assert.equal(evaluateChecks(checks, summed)[0].status, 'fail', 'the sum fails the candidate');
    assert.equal(writers[1].evidence.summed(rollout, 0), undefined, 'non-leaders do not read sums');
  });

  it('a faulty candidate failing only on all replicas together is rolled back once, by the leader, with one verdict event', async () => {
    const schema = newSchema('rollback');
    const clock = { now: 1_000_000 };
    const replicas = [];
    for (const name of ['a', 'b', 'c']) replicas.push(await replica(schema, name, clock));
    await replicas[1].c.leadership.check(); // b leads
    for (const r of replicas) await r.c.leadership.check();
    assert.deepEqual(
      replicas.map((r) => r.c.leadership.isLeader()),
      [false, true, false],
    );
    const started = replicas[0].manager.startRollout('m', {
      candidate: 2,
      stable: 1,
      steps: [50, 100],
      interval_ms: 60_000,
      checks: { error_rate: { min_samples: 40, max_increase: 0.05 } },
    });
    for (const r of replicas.slice(1)) {
      // What the change feed delivers: the traffic policy the rollout set, and the rollout.
      r.manager.setTraffic('m', { weights: { 1: 50, 2: 50 } });
      r.manager.canary.applyRemote(copyOf(started));
    }
    for (const r of replicas) {
      const served = r.traffic(60, true);
      assert.ok(served[2] < 40, `each replica alone serves the candidate too little (${served[2]})`);
    }
    for (const r of replicas) await r.manager.canary.tick();
    assert.equal(replicas[1].manager.rollout('m', started.id).status, 'progressing', 'nothing read yet: no verdict');
    for (let round = 0; round < 3; round++) {
      for (const r of replicas) await r.exchange();
      for (const r of replicas) await r.manager.canary.tick();
    }
    const leader = replicas[1];
    assert.equal(leader.manager.rollout('m', started.id).status, 'failed');
    assert.match(leader.manager.rollout('m', started.id).lastDecision!.reason, /error_rate failed/);
    const rolledBack = replicas.flatMap((r) =>
      r.manager
        .eventsOf('m')
        .filter((e) => e.type === 'rollout_rolled_back')
        .map(() => r.name),
    );
    assert.deepEqual(rolledBack, ['b'], 'one rollback event, from the leader');
    assert.deepEqual(
      (await leader.c.ledger.verdicts(started.id)).map((v) => [v.action, v.replica]),
      [['rollback', 'b']],
      'one verdict recorded',
    );
    assert.equal(replicas[0].manager.rollout('m', started.id).status, 'progressing', 'a non-leader decides nothing');
  });

  it('the leader dies mid-rollout: another replica takes up the recorded step and carries on', async () => {
    const schema = newSchema('continue');
    const clock = { now: 2_000_000 };
    const replicas = [];
    for (const name of ['a', 'b']) replicas.push(await replica(schema, name, clock));
    const [a, b] = replicas;
    await a.c.leadership.check();
    await b.c.leadership.check();
    const started = a.manager.startRollout('m', {
      candidate: 2,
      stable: 1,
      steps: [20, 50, 100],
      interval_ms: 1000,
      checks: { error_rate: { min_samples: 20 } },
    });
    b.manager.setTraffic('m', { weights: { 1: 80, 2: 20 } });
    b.manager.canary.applyRemote(copyOf(started));
    for (const r of replicas) r.traffic(200, false);
    for (const r of replicas) await r.exchange();
    clock.now += 1000;
    await a.manager.canary.tick();
    assert.equal(a.manager.rollout('m', started.id).stepIndex, 1, 'a advanced to 50%');
    // a dies before its change reaches b: b still holds step 0.
    const [pid] = await lockHolder(schema);
    await admin().query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(async () => {
      await b.c.leadership.check();
      return b.c.leadership.isLeader();
    }, 'b taking the lead');
    await waitFor(
      () => b.manager.rollout('m', started.id).stepIndex === 1,
      'b taking up the recorded step from the ledger',
    );
    const restored = b.manager.eventsOf('m').filter((e) => e.type === 'rollout_restored');
    assert.equal(restored.length, 1);
    assert.equal(b.manager.traffic('m').rollout?.weight, 50);
    b.traffic(200, false);
    await b.exchange();
    clock.now += 1000;
    await b.manager.canary.tick();
    assert.equal(b.manager.rollout('m', started.id).status, 'succeeded', 'b promoted it after the next interval');
    assert.deepEqual(
      (await b.c.ledger.verdicts(started.id)).map((v) => [v.seq, v.action, v.step, v.replica]),
      [
        [1, 'advance', 0, 'a'],
        [2, 'promote', 1, 'b'],
      ],
      'each verdict once, none lost',
    );
  });
});

describe('canary tables', { skip }, () => {
  it('are created by several replicas at once without a clash', async () => {
    const schema = newSchema('tables');
    const pool = newPool();
    await Promise.all([1, 2, 3].map(() => createCanaryTables(pool, schema)));
    const { rows } = await admin().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
      [schema],
    );
    assert.equal(rows[0].n, 3);
  });
});

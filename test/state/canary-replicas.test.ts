/**
 * Three servers sharing one PostgreSQL schema (`state.store: postgres`) run a canary of a faulty candidate. Each
 * server alone serves the candidate fewer requests than the error-rate check's minimum; together they serve more.
 * The leader, judging every replica's evidence summed, rolls the candidate back: once, with one verdict in the
 * ledger and one rollback event in the shared log and in each replica's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { startTestServer } from '../helpers/server.js';
import { call, glitchBody, infer, MODELS, tempRepo, waitFor } from '../lifecycle/lifecycle-helpers.js';
import { PG_URL, testPostgres } from './state-postgres.js';

const pg = await testPostgres();

const MIN_SAMPLES = 30;
const ROLLOUT = {
  candidate: 2,
  stable: 1,
  steps: [50, 100],
  // No interval ends during the test: only a failing check (judged at once, mid-interval) decides.
  interval_ms: 3_600_000,
  checks: { error_rate: { max_increase: 0.05, min_samples: MIN_SAMPLES } },
};

interface EventJson {
  type: string;
  rollout?: string;
  message: string;
}

describe('a canary judged over every replica', { skip: typeof pg === 'string' ? pg : false }, () => {
  if (typeof pg === 'string') return;
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.faulty },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  const schema = pg.schema('_canary_replicas');
  let servers: RunningServer[] = [];

  before(async () => {
    // Leader timings below the defaults: the lead passes within one retry after a clean death.
    const state = { store: 'postgres' as const, url: PG_URL, schema, leader_retry_ms: 500, evidence_interval_ms: 500 };
    const config = { state, grpc_port: -1 };
    for (let i = 0; i < 3; i++) servers.push(await startTestServer({ repository: repo.dir, config }));
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await pg.cleanup();
    repo.cleanup();
  });

  /** Requests every one of which the candidate fails and the stable answers, with routing keys `${prefix}-i`. */
  async function serve(s: RunningServer, n: number, prefix: string): Promise<{ stable: number; candidate: number }> {
    const counts = { stable: 0, candidate: 0 };
    for (let i = 0; i < n; i++) {
      const body = JSON.parse(glitchBody(i)) as Record<string, unknown>;
      const answer = await infer(
        `${s.url}/v2/models/digits/infer`,
        JSON.stringify({ ...body, parameters: { routing_key: `${prefix}-${i}` } }),
      );
      if (answer.status === 200 && answer.version === '1') counts.stable++;
      else counts.candidate++; // the stable version answers every one of these rows: a failure is the candidate's
    }
    return counts;
  }

  it('a faulty candidate too rarely served on each replica alone is rolled back once, by the leader', async () => {
    const [a] = servers;
    await waitFor('one canary leader', async () =>
      servers.filter((s) => s.inferd.canaryCoordination?.leadership.isLeader()).length === 1 ? true : undefined,
    );
    const created = await call<{ id: string }>(`${a.url}/v1/models/digits/rollouts`, { body: ROLLOUT });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    for (const s of servers)
      await waitFor(`the rollout on ${s.url}`, async () => {
        const t = (await call<{ rollout: { id: string } | null }>(`${s.url}/v1/models/digits/traffic`)).body;
        return t.rollout?.id === id ? true : undefined;
      });

    const served = [];
    for (const [i, s] of servers.entries()) served.push(await serve(s, 40, `user-${i}`));
    for (const c of served)
      assert.ok(c.candidate < MIN_SAMPLES, `each replica alone serves the candidate too little: ${JSON.stringify(c)}`);
    const total = served.reduce((x, c) => x + c.candidate, 0);
    assert.ok(total >= MIN_SAMPLES, `together they serve it enough: ${JSON.stringify(served)}`);

    for (const s of servers)
      await waitFor(`the rollback on ${s.url}`, async () => {
        const r = (await call<{ status: string }>(`${s.url}/v1/models/digits/rollouts/${id}`)).body;
        return r.status === 'failed' ? true : undefined;
      });
    const verdicts = await a.inferd.canaryCoordination!.ledger.verdicts(id);
    assert.equal(verdicts.length, 1, `one verdict: ${JSON.stringify(verdicts)}`);
    assert.equal(verdicts[0].action, 'rollback');
    assert.ok(
      servers.some((s) => s.inferd.state!.instanceId === verdicts[0].replica),
      'recorded by one of the replicas, as the leader',
    );
    const shared = await pg.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".rollout_events WHERE type = 'rollout_rolled_back' AND rollout = $1`,
      [id],
    );
    assert.equal(shared.rows[0].n, 1, 'one rollback event in the shared log');
    for (const s of servers) {
      const events = (await call<{ events: EventJson[] }>(`${s.url}/v1/models/digits/events`)).body.events;
      const rolledBack = events.filter((e) => e.rollout === id && e.type === 'rollout_rolled_back');
      assert.equal(rolledBack.length, 1, `${s.url}: one rollback event`);
      assert.match(rolledBack[0].message, /error_rate failed/);
    }
  });

  it("another replica takes the lead when the leader's session is terminated (as a SIGKILLed replica's would be)", async (t) => {
    const leading = () => servers.filter((s) => s.inferd.canaryCoordination?.leadership.isLeader());
    const old = await waitFor('one leader', async () => {
      const now = leading();
      return now.length === 1 ? now[0] : undefined;
    });
    const started = performance.now();
    const cut = await pg.client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [`inferd canary leadership ${old.inferd.state!.instanceId}`.slice(0, 63)],
    );
    assert.equal(cut.rowCount, 1, "the leader's session");
    await waitFor('a new leader', async () => {
      const now = leading();
      return now.length === 1 && now[0] !== old ? true : undefined;
    });
    t.diagnostic(`session terminated to another replica leading: ${Math.round(performance.now() - started)} ms`);
    const gauges = await Promise.all(
      servers.map(async (s) => {
        const text = await (await fetch(s.metricsUrl!)).text();
        const line = text.split('\n').find((l) => l.startsWith('inferd_canary_leader '));
        return { s, value: line === undefined ? undefined : Number(line.split(' ').pop()) };
      }),
    );
    assert.deepEqual(
      gauges.map((g) => g.value),
      servers.map((s) => (s.inferd.canaryCoordination!.leadership.isLeader() ? 1 : 0)),
      'inferd_canary_leader is 1 on the leader only',
    );
    assert.equal(gauges.filter((g) => g.value === 1).length, 1);
  });
});

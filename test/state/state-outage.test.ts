/**
 * The shared state store goes away and comes back (a PostgreSQL of the test's own, stopped as a crash would):
 * replicas keep serving the last known policy, readiness stays true and says why the state is stale, the metrics
 * say so too, a change made meanwhile is acknowledged, served by the replica that took it, queued and written when
 * the database returns, then served by the other replica; past `state.queue_limit` changes are refused with 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { OwnPostgres, postgresServerSkipReason } from '../helpers/own-postgres.js';
import { startTestServer } from '../helpers/server.js';
import { call, MODELS, tempRepo, waitFor } from '../lifecycle/lifecycle-helpers.js';

const skip = postgresServerSkipReason('the state store outage test');

interface TrafficJson {
  weights: Record<string, number> | null;
}

describe('PostgreSQL unavailable under replicas', { skip }, () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.heavy },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
  });
  let own: OwnPostgres | undefined;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;

  before(async () => {
    own = await OwnPostgres.create();
    await own.start();
    const state = { store: 'postgres' as const, url: own.url, schema: 'inferd', poll_ms: 200 };
    // a takes one change while the database is away, no more.
    a = await startTestServer({ repository: repo.dir, config: { state: { ...state, queue_limit: 1 }, grpc_port: -1 } });
    b = await startTestServer({ repository: repo.dir, config: { state, grpc_port: -1, metrics_port: -1 } });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await own?.destroy();
    repo.cleanup();
  });

  const weightOf2 = async (s: RunningServer) =>
    (await call<TrafficJson>(`${s.url}/v1/models/digits/traffic`)).body.weights?.['2'];
  const ready = async (s: RunningServer) => {
    const res = await fetch(`${s.url}/v2/health/ready`);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(a!.metricsUrl!)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  const setWeights = (s: RunningServer, w2: number) =>
    call<{ code?: string; error?: string }>(`${s.url}/v1/models/digits/traffic`, {
      body: { weights: { 1: 100 - w2, 2: w2 } },
    });

  it('serves the last known policy, says why it is stale, and catches up when the database returns', async () => {
    assert.equal((await setWeights(a!, 50)).status, 200);
    await waitFor('b at 50/50', async () => ((await weightOf2(b!)) === 50 ? true : undefined));
    assert.equal(await metric('inferd_state_store_up'), 1);
    assert.deepEqual(await ready(a!), { status: 200, body: undefined });

    await own!.stop('immediate');
    // Readiness stays true (the replica still serves) and names the stale state.
    const degraded = await waitFor('a to notice', async () => {
      const r = await ready(a!);
      return r.body ? r : undefined;
    });
    assert.equal(degraded.status, 200);
    const [reason] = degraded.body!.degraded as Array<{ dependency: string; reason: string }>;
    assert.equal(reason.dependency, 'state_store');
    assert.match(reason.reason, /unreachable since .*; serving the rollouts and traffic policies last read \d+ s ago/);
    assert.doesNotMatch(reason.reason, /password/);
    assert.equal(await metric('inferd_state_store_up'), 0);

    // A change through a: acknowledged, served by a at once, queued; b goes on with the last known policy.
    const changed = await setWeights(a!, 80);
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(await weightOf2(a!), 80);
    assert.equal(await metric('inferd_state_queued_changes'), 1);
    const infer = await fetch(`${b!.url}/v2/models/digits/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: Array(64).fill(0) }] }),
    });
    assert.equal(infer.status, 200, 'b serves on');
    assert.equal(await weightOf2(b!), 50);

    // Past the queue limit, a change is refused rather than acknowledged and possibly lost.
    const refused = await setWeights(a!, 90);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'state_store_unavailable');
    assert.match(
      refused.body.error!,
      /unreachable .* changes are already waiting to be written \(state\.queue_limit\); retry once PostgreSQL is back/,
    );
    assert.equal(await weightOf2(a!), 80, 'a refused change changes nothing');

    await own!.start();
    await waitFor('b serving the change made during the outage', async () =>
      (await weightOf2(b!)) === 80 ? true : undefined,
    );
    await waitFor('a ready without reservation', async () => ((await ready(a!)).body ? undefined : true));
    await waitFor('b ready without reservation', async () => ((await ready(b!)).body ? undefined : true));
    assert.equal(await metric('inferd_state_queued_changes'), 0);
    assert.equal(await metric('inferd_state_store_up'), 1);
    // Both changes are in the store and in b's log, once each.
    const events = (
      await call<{ events: Array<{ type: string }> }>(`${b!.url}/v1/models/digits/events`)
    ).body.events.filter((e) => e.type === 'traffic_changed');
    assert.equal(events.length, 2);
  });
});

/**
 * Rollout state survives a restart: a server is stopped mid-rollout and started again on the same rollout
 * store; the rollout is still there at the same step and carries on; a paused one stays paused; finished ones
 * (and the traffic they left) remain. The default store sits in the state directory, never in the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import type { ServerConfigFile } from '../../src/config/server-config.js';
import { call, digitsBody, MODELS, startLoad, tempRepo, waitFor } from './lifecycle-helpers.js';

const INTERVAL_MS = 1500;

const ROLLOUT = {
  candidate: 2,
  steps: [20, 50, 100],
  interval_ms: INTERVAL_MS,
  checks: { error_rate: { max_increase: 0.05, min_samples: 10 } },
};

interface RolloutJson {
  id: string;
  status: string;
  step: number;
  weight: number;
  started_at: string;
  finished_at: string | null;
  last_decision: { action: string; by: string };
}

interface EventJson {
  seq: number;
  type: string;
  rollout?: string;
  message: string;
}

const REPO_CONFIG = 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n';

function serve(repository: string, extra: Partial<ServerConfigFile> = {}): Promise<RunningServer> {
  return startServer(
    resolveServerConfig({
      model_repository: repository,
      http_port: 0,
      grpc_port: -1,
      metrics_port: -1,
      log_level: 'silent',
      ...extra,
    }),
  );
}

async function rolloutOf(server: RunningServer, id: string): Promise<RolloutJson> {
  const r = await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts/${id}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function eventsOf(server: RunningServer, id: string): Promise<EventJson[]> {
  return (await call<{ events: EventJson[] }>(`${server.url}/v1/models/digits/events`)).body.events.filter(
    (e) => e.rollout === id,
  );
}

async function weights(server: RunningServer): Promise<Record<string, number>> {
  return (await call<{ weights: Record<string, number> }>(`${server.url}/v1/models/digits/traffic`)).body.weights;
}

/** Sends requests until the rollout satisfies `done`, then stops them. */
async function driveUntil(
  server: RunningServer,
  id: string,
  what: string,
  done: (r: RolloutJson) => boolean,
): Promise<RolloutJson> {
  const load = startLoad(`${server.url}/v2/models/digits/infer`, { concurrency: 3, body: digitsBody });
  try {
    return await waitFor(what, async () => {
      const r = await rolloutOf(server, id);
      return done(r) ? r : undefined;
    });
  } finally {
    const report = await load.stop();
    assert.deepEqual(report.failures.slice(0, 3), [], `${report.failures.length} requests failed`);
  }
}

describe('rollout state across restarts', () => {
  test('an active rollout resumes at its step and carries on; finished ones and their traffic remain', async (t) => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.retrained }, config: REPO_CONFIG } });
    const stateDir = mkdtempSync(join(tmpdir(), 'inferd-rollout-state-'));
    const rollouts = { path: join(stateDir, 'state', 'rollouts.db') };
    let server: RunningServer | undefined;
    try {
      server = await serve(repo.dir, { rollouts });
      const started = await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts`, { body: ROLLOUT });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = started.body.id;
      // Under load the first step passes and the rollout advances to 50%; without load it only holds.
      const atSecond = await driveUntil(server, id, 'the rollout to reach its second step', (r) => r.step === 1);
      assert.deepEqual([atSecond.status, atSecond.weight], ['progressing', 50]);
      const before = await eventsOf(server, id);
      await server.close();
      server = undefined;

      const restartedAt = Date.now();
      server = await serve(repo.dir, { rollouts });
      const restored = await rolloutOf(server, id);
      assert.deepEqual(
        [restored.status, restored.step, restored.weight, restored.started_at],
        ['progressing', 1, 50, started.body.started_at],
      );
      assert.deepEqual(await weights(server), { 1: 50, 2: 50 }, "the weights of the step, not the config's");
      const after = await eventsOf(server, id);
      assert.deepEqual(after.slice(0, before.length), before, 'kept events come back with their numbers');
      assert.equal(after.at(-1)!.type, 'rollout_restored');
      assert.match(
        after.at(-1)!.message,
        /restored after a restart at step 2 of 3 \(50%\); the analysis interval restarts/,
      );
      assert.ok(after.at(-1)!.seq > before.at(-1)!.seq, 'numbering continues after the kept events');

      const done = await driveUntil(server, id, 'the restored rollout to finish', (r) => r.status !== 'progressing');
      assert.equal(done.status, 'succeeded', JSON.stringify(done.last_decision));
      assert.equal(done.last_decision.by, 'analysis');
      assert.ok(
        Date.parse(done.finished_at!) - restartedAt >= INTERVAL_MS,
        'the restored step lasted a whole interval',
      );
      const types = (await eventsOf(server, id)).map((e) => e.type).filter((x) => x !== 'rollout_held');
      assert.deepEqual(types, ['rollout_started', 'rollout_advanced', 'rollout_restored', 'rollout_promoted']);
      await server.close();
      server = undefined;

      server = await serve(repo.dir, { rollouts });
      const finished = await call<{ rollouts: RolloutJson[] }>(`${server.url}/v1/models/digits/rollouts`);
      assert.deepEqual(
        finished.body.rollouts.map((r) => [r.id, r.status, r.weight]),
        [[id, 'succeeded', 100]],
      );
      assert.deepEqual(
        await weights(server),
        { 1: 0, 2: 100 },
        'a promoted candidate keeps its traffic across a restart',
      );
      const answer = await call<{ model_version: string }>(`${server.url}/v2/models/digits/infer`, {
        body: JSON.parse(digitsBody(0)),
      });
      assert.equal(answer.body.model_version, '2');
      t.diagnostic(`store: ${rollouts.path}`);
    } finally {
      await server?.close();
      repo.cleanup();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('a paused rollout stays paused after a restart; the default store is <state_dir>/rollouts.db', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.retrained }, config: REPO_CONFIG } });
    const stateDir = mkdtempSync(join(tmpdir(), 'inferd-state-'));
    let server: RunningServer | undefined;
    try {
      server = await serve(repo.dir, { state_dir: stateDir });
      const id = (
        await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts`, { body: { ...ROLLOUT, interval_ms: 200 } })
      ).body.id;
      assert.equal(
        (await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts/${id}/pause`, { method: 'POST' })).body
          .status,
        'paused',
      );
      assert.ok(existsSync(join(stateDir, 'rollouts.db')), 'the default store is in the state directory');
      assert.equal(existsSync(join(repo.dir, '.inferd')), false, 'nothing is written into the repository');
      await server.close();
      server = undefined;

      server = await serve(repo.dir, { state_dir: stateDir });
      const index = await call<Array<{ name: string }>>(`${server.url}/v2/repository/index`, { body: {} });
      assert.deepEqual([...new Set(index.body.map((e) => e.name))], ['digits']);
      const load = startLoad(`${server.url}/v2/models/digits/infer`, { concurrency: 2, body: digitsBody });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // five intervals
      await load.stop();
      const r = await rolloutOf(server, id);
      assert.deepEqual(
        [r.status, r.step, r.weight, r.last_decision.action],
        ['paused', 0, 20, 'pause'],
        'paused: no decision while it was restored',
      );
      assert.deepEqual(await weights(server), { 1: 80, 2: 20 });
      const events = await eventsOf(server, id);
      assert.match(events.at(-1)!.message, /restored after a restart at step 1 of 3 \(20%\); it stays paused/);
      const resumed = await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts/${id}/resume`, {
        method: 'POST',
      });
      assert.equal(resumed.body.status, 'progressing');
      const aborted = await call<RolloutJson>(`${server.url}/v1/models/digits/rollouts/${id}/abort`, {
        method: 'POST',
      });
      assert.equal(aborted.body.status, 'aborted');
    } finally {
      await server?.close();
      repo.cleanup();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('with store: memory, nothing is kept', async () => {
    const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.retrained }, config: REPO_CONFIG } });
    let server: RunningServer | undefined;
    try {
      server = await serve(repo.dir, { rollouts: { store: 'memory' } });
      assert.equal((await call(`${server.url}/v1/models/digits/rollouts`, { body: ROLLOUT })).status, 201);
      await server.close();
      server = await serve(repo.dir, { rollouts: { store: 'memory' } });
      assert.deepEqual(
        (await call<{ rollouts: unknown[] }>(`${server.url}/v1/models/digits/rollouts`)).body.rollouts,
        [],
      );
      assert.deepEqual(await weights(server), { 1: 100 });
      assert.equal(existsSync(join(repo.dir, '.inferd')), false);
    } finally {
      await server?.close();
      repo.cleanup();
    }
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../config/index.js';
import { NotFoundError, ModelNotReadyError } from '../errors/index.js';
import type { RegisteredModel } from '../registry/registered-model.js';
import type { ModelVersion, VersionId, VersionStage } from '../registry/model-version.js';
import { silentLogger } from '../telemetry/logger.js';
import { TrafficManager } from './traffic-manager.js';
import type { VersionSource } from './traffic-director.js';

/** A registry stand-in: model 'm' with READY versions 1 and 2 (the director only checks that these exist). */
function fakeVersions(): VersionSource {
  const versionId = (version: number): VersionId => ({ model: 'm', version, label: `${version}` });
  const ready = (version: number): ModelVersion => {
    // Holds what routing attaches (the canary window while a rollout runs), as a loaded version does.
    let stages: readonly VersionStage[] = [];
    return {
      id: versionId(version),
      get stages() {
        return stages;
      },
      loadMs: 0,
      readyAt: 0,
      fingerprint: '',
      coldRuns: () => 0,
      warmup: { source: 'disabled', requests: 0, ms: 0 },
      close: async () => undefined,
      attach: (stage) => {
        stages = [stage, ...stages];
        return () => {
          stages = stages.filter((s) => s !== stage);
          void stage.dispose?.();
        };
      },
      // Routing never calls into the scheduler or reads the config.
      scheduler: {} as ModelVersion['scheduler'],
      config: {} as ModelConfig,
    };
  };
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

function setup() {
  let now = 0;
  const manager = new TrafficManager({ versions: fakeVersions(), logger: silentLogger(), clock: () => now });
  const advance = (ms: number) => (now += ms);
  /** Sends n requests that name no version; the candidate (2) fails when `candidateFails`; labels as given. */
  const traffic = (n: number, o: { candidateFails?: boolean; candidateLabel?: (i: number) => number } = {}) => {
    const served = { 1: 0, 2: 0 } as Record<number, number>;
    for (let i = 0; i < n; i++) {
      const request = { model: 'm', inputs: [] };
      const v = manager.director.choose(request);
      served[v.id.version]++;
      const trace = manager.director.begin(v, request);
      now += 1;
      if (v.id.version === 2 && o.candidateFails && i % 4 === 0) manager.director.failed(request);
      else {
        const label = v.id.version === 2 && o.candidateLabel ? o.candidateLabel(i) : i % 10;
        manager.director.answered(trace, [
          { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(label)]) },
        ]);
      }
    }
    return served;
  };
  return { manager, advance, traffic };
}

const spec = {
  candidate: 2,
  stable: 1,
  steps: [10, 50, 100],
  interval_ms: 1000,
  checks: { error_rate: { min_samples: 30 }, prediction_divergence: { min_samples: 30 } },
};

test('a good candidate advances step by step and is promoted to 100%', () => {
  const { manager, advance, traffic } = setup();
  manager.startRollout('m', spec);
  traffic(600);
  manager.canary.tick();
  assert.equal(manager.traffic('m').rollout?.weight, 10, 'no decision before the interval ends');
  advance(1000);
  manager.canary.tick();
  assert.equal(manager.traffic('m').rollout?.weight, 50);
  traffic(600);
  advance(1000);
  manager.canary.tick();
  const view = manager.traffic('m');
  assert.equal(view.rollout, undefined);
  assert.deepEqual(
    [...view.weights!],
    [
      [1, 0],
      [2, 100],
    ],
  );
  assert.deepEqual(
    manager.eventsOf('m').map((e) => e.type),
    ['rollout_started', 'rollout_advanced', 'rollout_promoted'],
  );
  assert.equal(manager.rollouts('m')[0].status, 'succeeded');
  const served = traffic(100);
  assert.deepEqual(served, { 1: 0, 2: 100 });
});

test('a candidate that errors is rolled back at once, marked failed, with the failing check in the event', () => {
  const { manager, traffic } = setup();
  const r = manager.startRollout('m', spec);
  traffic(800, { candidateFails: true });
  manager.canary.tick(); // mid-interval: the failure does not wait for the interval to end
  assert.equal(manager.rollout('m', r.id).status, 'failed');
  const rolledBack = manager.eventsOf('m').at(-1)!;
  assert.equal(rolledBack.type, 'rollout_rolled_back');
  assert.match(rolledBack.message, /error_rate failed: candidate error rate/);
  const view = manager.traffic('m');
  assert.deepEqual(
    view.versions.map((v) => [v.version, v.share, v.failed]),
    [
      [1, 100, false],
      [2, 0, true],
    ],
  );
  assert.deepEqual(traffic(100), { 1: 100, 2: 0 });
  assert.deepEqual(
    manager.eventRows().find((e) => e.type === 'rollout_rolled_back'),
    { model: 'm', type: 'rollout_rolled_back', check: 'error_rate', count: 1 },
  );
});

test('biased predictions are rolled back by the divergence check', () => {
  const { manager, traffic } = setup();
  manager.startRollout('m', spec);
  traffic(800, { candidateLabel: () => 9 });
  manager.canary.tick();
  assert.equal(manager.rollouts('m')[0].lastDecision?.failed[0], 'prediction_divergence');
});

test('too little traffic holds the step for another interval, with an event saying why', () => {
  const { manager, advance, traffic } = setup();
  manager.startRollout('m', spec);
  traffic(50);
  advance(1000);
  manager.canary.tick();
  const held = manager.eventsOf('m').at(-1)!;
  assert.equal(held.type, 'rollout_held');
  assert.match(held.message, /needs 30 samples per version/);
  assert.equal(manager.rollouts('m')[0].weight, 10);
});

test('operators pause, resume, promote and abort; invalid moves are refused with the reason', () => {
  const { manager, advance, traffic } = setup();
  const r = manager.startRollout('m', spec);
  manager.act('m', r.id, 'pause');
  traffic(800, { candidateFails: true });
  advance(5000);
  manager.canary.tick();
  assert.equal(manager.rollout('m', r.id).status, 'paused', 'a paused rollout is not analysed');
  assert.throws(() => manager.act('m', r.id, 'pause'), /rollout .* is paused: it cannot be paused/);
  manager.act('m', r.id, 'resume');
  manager.act('m', r.id, 'promote');
  assert.deepEqual(
    [...manager.traffic('m').weights!],
    [
      [1, 0],
      [2, 100],
    ],
  );
  assert.throws(() => manager.act('m', r.id, 'abort'), /is succeeded: it cannot be aborted/);
  const second = manager.startRollout('m', { ...spec, candidate: 1, stable: 2 });
  assert.throws(() => manager.startRollout('m', spec), /already has rollout .* progressing; promote or abort it first/);
  manager.act('m', second.id, 'abort');
  assert.deepEqual(
    [...manager.traffic('m').weights!],
    [
      [2, 100],
      [1, 0],
    ],
  );
  assert.equal(
    manager.traffic('m').versions.find((v) => v.version === 1)?.failed,
    false,
    'an aborted candidate is not marked failed',
  );
  assert.deepEqual(
    manager.eventsOf('m').map((e) => e.type),
    ['rollout_started', 'rollout_paused', 'rollout_resumed', 'rollout_promoted', 'rollout_started', 'rollout_aborted'],
  );
});

test('rollout bodies are validated with the field and the rule', () => {
  const { manager } = setup();
  assert.throws(() => manager.startRollout('m', { candidate: 2, steps: [50, 10] }), /steps must rise/);
  assert.throws(() => manager.startRollout('m', { candidate: 2, steps: [100] }), /first step must be below 100%/);
  assert.throws(() => manager.startRollout('m', { candidate: 2, checks: { shadow_agreement: {} } }), /needs "shadow"/);
  assert.throws(() => manager.startRollout('m', { candidate: 3 }), /not ready/);
  assert.throws(() => manager.startRollout('m', { candidate: 2, interval: 5 }), /invalid rollout/);
});

test('weights cannot be set by hand while a rollout controls them', () => {
  const { manager } = setup();
  manager.startRollout('m', spec);
  assert.throws(() => manager.setTraffic('m', { weights: { 1: 100 } }), /controls the weights of model 'm'/);
  const view = manager.setTraffic('m', { sticky_parameter: 'user_id' });
  assert.equal(view.stickyParameter, 'user_id');
});

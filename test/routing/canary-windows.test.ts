import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/config/index.js';
import { NotFoundError } from '../../src/errors/index.js';
import { assembleVersion, versionId, type ModelVersion } from '../../src/registry/model-version.js';
import type { RegisteredModel } from '../../src/registry/registered-model.js';
import type { VersionSlot } from '../../src/registry/version-slot.js';
import { CANARY_WINDOW, windowOf } from '../../src/routing/canary-window.js';
import { TrafficManager } from '../../src/routing/traffic-manager.js';
import { silentLogger } from '../../src/telemetry/logger.js';

/** A real ModelVersion with no built stages (a plain model); routing never calls the scheduler or reads the config. */
function plainVersion(v: number): ModelVersion {
  return assembleVersion({
    id: versionId('m', v),
    config: {} as ModelConfig,
    scheduler: { close: async () => undefined } as unknown as ModelVersion['scheduler'],
    stages: [],
    loadMs: 0,
    warmup: { source: 'disabled', requests: 0, ms: 0 },
    readyAt: 0,
    coldRuns: () => 0,
    fingerprint: '',
  });
}

/** One replica's traffic manager over model 'm' with READY versions 1 and 2 (`load` adds another). */
function replica() {
  const versions = new Map<number, VersionSlot>(
    [1, 2].map((v) => [v, { state: 'READY', id: versionId('m', v), loaded: plainVersion(v) }]),
  );
  const model: RegisteredModel = { name: 'm', versions };
  const loaded = (v: number): ModelVersion => {
    const slot = versions.get(v);
    assert.ok(slot?.state === 'READY', `version ${v} is ready`);
    return slot.loaded;
  };
  const manager = new TrafficManager({
    logger: silentLogger(),
    versions: {
      model: (name) => {
        if (name !== 'm') throw new NotFoundError(`unknown model '${name}'`);
        return model;
      },
      resolveReady: (_name, v) => loaded(Number(v ?? 2)),
      loadedIndex: () => [...versions.keys()].map(() => ({ name: 'm' })),
    },
  });
  const stageNames = (v: number) => loaded(v).stages.map((s) => s.name);
  /** Loads version `v` as the registry does: the slot turns READY, then the load is recorded. */
  const load = (v: number) => {
    versions.set(v, { state: 'READY', id: versionId('m', v), loaded: plainVersion(v) });
    manager.onLifecycle({ type: 'version_ready', model: 'm', version: v, message: `version ${v} ready`, evidence: {} });
  };
  return { manager, loaded, stageNames, load };
}

const ROLLOUT = { candidate: 2, stable: 1, steps: [10, 100], interval_ms: 60_000, checks: { error_rate: {} } };

test('a plain model has no stages; a rollout attaches canary windows while active and finishing detaches them', () => {
  const { manager, loaded, stageNames, load } = replica();
  assert.deepEqual(stageNames(1), [], 'no rollout: version 1 has no stages');
  assert.deepEqual(stageNames(2), [], 'no rollout: version 2 has no stages');
  manager.setTraffic('m', { weights: { 1: 90, 2: 10 } });
  assert.deepEqual(stageNames(1), [], 'a traffic policy alone gives no window');

  const r = manager.startRollout('m', ROLLOUT);
  assert.deepEqual(stageNames(1), [CANARY_WINDOW]);
  assert.deepEqual(stageNames(2), [CANARY_WINDOW]);
  const window = windowOf(loaded(1));
  assert.ok(window);

  manager.act('m', r.id, 'pause');
  assert.equal(windowOf(loaded(1)), window, 'a paused rollout keeps the windows');
  load(3);
  assert.deepEqual(stageNames(3), [CANARY_WINDOW], 'a version loaded during the rollout gets its window');
  manager.act('m', r.id, 'resume');
  assert.equal(windowOf(loaded(1)), window, 'resuming keeps the windows');

  window.record({ at: 0, ok: true, latencyMs: 1, prediction: undefined });
  manager.act('m', r.id, 'abort');
  for (const v of [1, 2, 3]) assert.deepEqual(stageNames(v), [], `version ${v} lost its window with the rollout`);
  assert.equal(window.summarise(0).requests, 0, 'the detached window was emptied');

  manager.startRollout('m', ROLLOUT);
  assert.notEqual(windowOf(loaded(1)), window, 'the next rollout starts with new windows');
  assert.equal(windowOf(loaded(1))?.summarise(0).requests, 0);
});

test('a replica that learns of a rollout from another attaches its windows, and detaches them when it ends', () => {
  const a = replica();
  const b = replica();
  const r = a.manager.startRollout('m', ROLLOUT);
  assert.deepEqual(b.stageNames(1), [], 'b has not heard of it yet');
  b.manager.canary.applyRemote(structuredClone(r));
  assert.deepEqual(b.stageNames(1), [CANARY_WINDOW]);
  assert.deepEqual(b.stageNames(2), [CANARY_WINDOW]);
  assert.ok(
    b.manager.canary.localEvidence().some((e) => e.rollout === r.id),
    "b reports its windows' evidence for the rollout",
  );
  const promoted = a.manager.act('m', r.id, 'promote');
  b.manager.canary.applyRemote(structuredClone(promoted));
  assert.deepEqual(b.stageNames(1), []);
  assert.deepEqual(b.stageNames(2), []);
});

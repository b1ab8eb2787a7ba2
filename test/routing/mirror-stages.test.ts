import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/config/index.js';
import { NotFoundError } from '../../src/errors/index.js';
import { assembleVersion, versionId, type ModelVersion } from '../../src/registry/model-version.js';
import type { RegisteredModel } from '../../src/registry/registered-model.js';
import type { VersionSlot } from '../../src/registry/version-slot.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { MIRROR_STAGE, type MirrorTap } from '../../src/routing/mirror-stages.js';
import { TrafficManager } from '../../src/routing/traffic-manager.js';

/** Model 'm' with READY versions 1 and 2, each a real ModelVersion (routing never calls the scheduler or config). */
function setup() {
  const version = (v: number): ModelVersion =>
    assembleVersion({
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
  const versions = new Map<number, VersionSlot>(
    [1, 2].map((v) => [v, { state: 'READY', id: versionId('m', v), loaded: version(v) }]),
  );
  const model: RegisteredModel = { name: 'm', versions };
  const manager = new TrafficManager({
    logger: silentLogger(),
    versions: {
      model: (name) => {
        if (name !== 'm') throw new NotFoundError(`unknown model '${name}'`);
        return model;
      },
      resolveReady: (_name, v) => loaded(Number(v ?? 2)),
      loadedIndex: () => [{ name: 'm' }, { name: 'm' }],
    },
  });
  let disposed = 0;
  manager.director.mirrors.use((tap: MirrorTap) => ({ name: MIRROR_STAGE, tap, dispose: () => void disposed++ }));
  function loaded(v: number): ModelVersion {
    const slot = versions.get(v);
    assert.ok(slot?.state === 'READY');
    return slot.loaded;
  }
  const mirrorOf = (v: number) => loaded(v).stages.find((s) => s.name === MIRROR_STAGE);
  return { manager, loaded, mirrorOf, disposed: () => disposed };
}

test('a shadow gives every other ready version a mirror stage, outermost, and taking it away detaches it', () => {
  const { manager, mirrorOf, loaded, disposed } = setup();
  assert.equal(mirrorOf(1), undefined, 'no policy, no stage');
  manager.setTraffic('m', { shadow: { version: 2, sample_rate: 0.5 } });
  assert.ok(mirrorOf(1), 'version 1 mirrors to the shadow');
  assert.equal(loaded(1).stages[0], mirrorOf(1), 'before the stages the version was built with');
  assert.equal(mirrorOf(2), undefined, 'the shadow does not mirror to itself');
  const first = mirrorOf(1);
  manager.setTraffic('m', { sticky_parameter: 'user' });
  assert.equal(mirrorOf(1), first, 'an unrelated change keeps the stage');
  manager.setTraffic('m', { shadow: null });
  assert.equal(mirrorOf(1), undefined);
  assert.equal(disposed(), 1, 'the detached stage was disposed');
  assert.deepEqual(
    loaded(1).stages.map((s) => s.name),
    [],
  );
});

test("a mirror stage is disposed with its version, and a rollout's shadow replaces the policy's", async () => {
  const { manager, mirrorOf, loaded, disposed } = setup();
  manager.setTraffic('m', { shadow: { version: 1, sample_rate: 1 } });
  assert.ok(mirrorOf(2));
  manager.startRollout('m', {
    candidate: 2,
    stable: 1,
    steps: [10, 100],
    interval_ms: 1000,
    shadow: { sample_rate: 1 },
    checks: { error_rate: {} },
  });
  assert.ok(mirrorOf(1), "the rollout's shadow is its candidate, 2");
  assert.equal(mirrorOf(2), undefined);
  await loaded(1).close();
  assert.equal(mirrorOf(1), undefined);
  assert.equal(disposed(), 2, 'the stage on 2 was detached, the one on 1 closed with it');
});

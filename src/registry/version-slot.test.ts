import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../config/index.js';
import type { ModelScheduler } from '../scheduler/model-scheduler.js';
import { assembleVersion, versionId, type ModelVersion } from './model-version.js';
import { SlotTransitionError, transition, UNLOADED, type SlotEvent, type VersionSlot } from './version-slot.js';

const id = versionId('m', 3);
const config = { name: 'm' } as ModelConfig; // transitions carry the config, never read it
let closed = 0;
const version: ModelVersion = assembleVersion({
  id,
  config,
  stages: [],
  loadMs: 1,
  readyAt: 2,
  fingerprint: 'f',
  coldRuns: () => 0,
  warmup: { source: 'disabled', requests: 0, ms: 0 },
  scheduler: { close: async () => void closed++ } as unknown as ModelScheduler, // only close() is called
});

const slots: Record<string, VersionSlot | undefined> = {
  none: undefined,
  LOADING: { state: 'LOADING', id, fingerprint: 'f' },
  READY: { state: 'READY', id, loaded: version },
  UNLOADING: { state: 'UNLOADING', id, loaded: version },
  failed: { state: 'UNAVAILABLE', id, reason: 'bad file', retired: false, fingerprint: 'f' },
  unloaded: { state: 'UNAVAILABLE', id, reason: UNLOADED, retired: true, config, fingerprint: 'f' },
};
const events: Record<SlotEvent['type'], SlotEvent> = {
  load: { type: 'load', id, fingerprint: 'g' },
  loaded: { type: 'loaded', version },
  failed: { type: 'failed', reason: 'no model file' },
  drain: { type: 'drain' },
  closed: { type: 'closed' },
  retire: { type: 'retire' },
};

/** Every allowed transition, as `from on event → to`; every other pair must be refused. */
const allowed: Record<string, VersionSlot> = {
  'none load': { state: 'LOADING', id, fingerprint: 'g' },
  'failed load': { state: 'LOADING', id, fingerprint: 'g' },
  'unloaded load': { state: 'LOADING', id, fingerprint: 'g' },
  'LOADING loaded': { state: 'READY', id, loaded: version },
  'LOADING failed': { state: 'UNAVAILABLE', id, reason: 'no model file', retired: false, fingerprint: 'f' },
  'LOADING retire': { state: 'UNAVAILABLE', id, reason: UNLOADED, retired: true, fingerprint: 'f' },
  'READY drain': { state: 'UNLOADING', id, loaded: version },
  'UNLOADING closed': { state: 'UNAVAILABLE', id, reason: UNLOADED, retired: true, config, fingerprint: 'f' },
  'failed retire': { state: 'UNAVAILABLE', id, reason: 'bad file', retired: true, fingerprint: 'f' },
};

for (const [from, slot] of Object.entries(slots)) {
  for (const [name, event] of Object.entries(events)) {
    const expected = allowed[`${from} ${name}`];
    test(`${from} on '${name}': ${expected ? `becomes ${expected.state}` : 'refused'}`, () => {
      if (expected) assert.deepEqual(transition(slot, event), expected);
      else
        assert.throws(
          () => transition(slot, event),
          (e: Error) => e instanceof SlotTransitionError && e.message.includes(`on '${name}'`),
        );
    });
  }
}

test('a slot is never changed in place: the transition returns a new one', () => {
  const loading = slots.LOADING!;
  const ready = transition(loading, events.loaded);
  assert.equal(loading.state, 'LOADING');
  assert.notEqual(ready, loading);
});

test('a version loaded for another model or version is refused', () => {
  const other = assembleVersion({ ...version, id: versionId('m', 4) });
  assert.throws(() => transition(slots.LOADING, { type: 'loaded', version: other }), SlotTransitionError);
});

test('closing a version closes its scheduler once and disposes its stages in reverse order', async () => {
  const disposed: string[] = [];
  const staged = assembleVersion({
    ...version,
    stages: [
      { name: 'a', dispose: () => void disposed.push('a') },
      { name: 'b', dispose: async () => void disposed.push('b') },
    ],
  });
  const before = closed;
  await Promise.all([staged.close(), staged.close()]);
  assert.equal(closed - before, 1);
  assert.deepEqual(disposed, ['b', 'a']);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAdmission, type AdmissionState } from './admission.js';

function state(over: Partial<Omit<AdmissionState, 'lowestQueuedLevel'>> & { lowest?: number } = {}): AdmissionState {
  const { lowest = 0, ...rest } = over;
  return {
    closing: false,
    queued: 0,
    inflight: 0,
    maxQueueSize: 0,
    maxConcurrency: 0,
    adaptiveLimit: 0,
    lowestQueuedLevel: () => lowest,
    ...rest,
  };
}

describe('decideAdmission', () => {
  it('admits while every limit has room', () => {
    assert.deepEqual(
      decideAdmission(state({ queued: 3, inflight: 5, maxQueueSize: 4, maxConcurrency: 6, adaptiveLimit: 6 }), 2),
      { kind: 'admit' },
    );
  });

  it('evicts the lowest queued priority for a higher-priority arrival, refuses an equal or lower one', () => {
    const full = state({ queued: 4, inflight: 6, maxQueueSize: 4, lowest: 3 });
    assert.deepEqual(decideAdmission(full, 1), { kind: 'evict', level: 3, reason: 'queue_full' });
    assert.deepEqual(decideAdmission(full, 3), { kind: 'refuse', reason: 'queue_full' });
  });

  it('names the limit reached: concurrency, then the adaptive limit', () => {
    assert.deepEqual(decideAdmission(state({ inflight: 8, maxConcurrency: 8 }), 1), {
      kind: 'refuse',
      reason: 'concurrency_limit',
    });
    assert.deepEqual(decideAdmission(state({ inflight: 5, maxConcurrency: 8, adaptiveLimit: 5, lowest: 2 }), 1), {
      kind: 'evict',
      level: 2,
      reason: 'adaptive_limit',
    });
  });

  it('refuses everything while unloading', () => {
    assert.deepEqual(decideAdmission(state({ closing: true }), 1), { kind: 'refuse', reason: 'unloading' });
  });
});

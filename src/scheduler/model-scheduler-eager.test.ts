import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCHEDULING, type ModelConfig, type SchedulingConfig } from '../config/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelScheduler, type ExecutionInstance } from './model-scheduler.js';

/** An instance that records the rows of each call and answers at once. */
class RecordingInstance implements ExecutionInstance {
  readonly calls: number[] = [];
  async runTimed(inputs: readonly Tensor[]) {
    const rows = inputs[0].shape[0];
    this.calls.push(rows);
    return {
      outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [rows, 1], data: new Float32Array(rows) }],
      computeNs: 1,
    };
  }
  async close() {}
}

function scheduler(scheduling: Partial<SchedulingConfig>) {
  const instance = new RecordingInstance();
  const config = {
    name: 'm',
    maxBatchSize: 16,
    outputs: [{ name: 'y', datatype: 'FP32', dims: [1] }],
    scheduling: { ...DEFAULT_SCHEDULING, dynamicBatching: true, ...scheduling },
  } as unknown as ModelConfig; // only the fields the scheduler reads
  return { s: new ModelScheduler(config, "model 'm'", [instance]), instance };
}

const request = () => ({
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 1], data: new Float32Array(1) }],
  outputs: ['y'],
  rows: 1,
});

describe('ModelScheduler dispatch within one event-loop turn', () => {
  it('without preferred sizes, requests that arrive in one turn are joined into one call', async () => {
    const { s, instance } = scheduler({});
    await Promise.all(Array.from({ length: 10 }, () => s.submit(request())));
    assert.deepEqual(instance.calls, [10]);
  });

  it('a batch of the largest preferred size goes out at once while an instance is free; the rest follow', async () => {
    const { s, instance } = scheduler({ preferredBatchSizes: [2, 4] });
    await Promise.all(Array.from({ length: 10 }, () => s.submit(request())));
    assert.deepEqual(instance.calls, [4, 6]);
    assert.equal(s.queueDepth, 0);
  });
});

describe('ModelScheduler queue delay', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('a batch completed before its queue delay ends leaves no timer behind to hold the process', async () => {
    const { s, instance } = scheduler({ preferredBatchSizes: [2], maxQueueDelayMicroseconds: 600_000_000 });
    const before = timers();
    const first = s.submit(request());
    await new Promise((resolve) => setImmediate(resolve)); // the first waits for a second, up to ten minutes
    assert.equal(timers(), before + 1, 'the queue delay is armed while the first request waits');
    await Promise.all([first, s.submit(request())]);
    assert.deepEqual(instance.calls, [2]);
    assert.equal(timers(), before, 'the queue delay was disarmed when the batch went out');
  });

  it('a request that times out waiting for company leaves no timer behind', async () => {
    const { s, instance } = scheduler({ preferredBatchSizes: [2], maxQueueDelayMicroseconds: 600_000_000 });
    const before = timers();
    await assert.rejects(s.submit({ ...request(), timeoutMicroseconds: 1000 }), /past its timeout/);
    assert.deepEqual(instance.calls, []);
    assert.equal(timers(), before, 'the queue delay was disarmed when the queue emptied');
  });
});

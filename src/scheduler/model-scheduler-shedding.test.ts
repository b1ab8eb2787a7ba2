import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { DEFAULT_SCHEDULING, type ModelConfig, type SchedulingConfig } from '../config/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelScheduler, type ExecutionInstance } from './model-scheduler.js';
import { OverloadedError } from './overloaded-error.js';

/** An instance whose runs finish when the test says so. */
class HeldInstance implements ExecutionInstance {
  private readonly waiting: Array<() => void> = [];
  async runTimed(inputs: readonly Tensor[]) {
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return {
      outputs: [
        {
          name: 'y',
          datatype: 'FP32' as const,
          shape: [inputs[0].shape[0], 1],
          data: new Float32Array(inputs[0].shape[0]),
        },
      ],
      computeNs: 1,
    };
  }
  finishOne(): void {
    this.waiting.shift()?.();
  }
  async close() {}
}

function scheduler(scheduling: Partial<SchedulingConfig>) {
  const instance = new HeldInstance();
  const config = {
    name: 'm',
    maxBatchSize: 0,
    outputs: [{ name: 'y', datatype: 'FP32', dims: [1] }],
    scheduling: {
      ...DEFAULT_SCHEDULING,
      dynamicBatching: false,
      priorityLevels: 3,
      defaultPriorityLevel: 2,
      ...scheduling,
    },
  } as unknown as ModelConfig; // only the fields the scheduler reads
  return { s: new ModelScheduler(config, "model 'm'", [instance]), instance };
}

const request = (priority: number) => ({
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1], data: new Float32Array(1) }],
  outputs: ['y'],
  rows: 1,
  priority,
});

function settle(p: Promise<unknown>) {
  return p.then(
    () => 'ok',
    (e: unknown) => (e instanceof OverloadedError ? e.reason : String(e)),
  );
}

describe('ModelScheduler load shedding', () => {
  it('a full queue evicts its newest lowest-priority request for a higher one and refuses an equal one at once', async () => {
    const { s, instance } = scheduler({ maxQueueSize: 3 });
    const running = settle(s.submit(request(3)));
    await tick(); // dispatched: the instance is busy
    const queued = [settle(s.submit(request(3))), settle(s.submit(request(2))), settle(s.submit(request(3)))];
    const high = settle(s.submit(request(1)));
    const equal = await settle(s.submit(request(3)));
    assert.equal(equal, 'queue_full', 'nothing below priority 3 to shed: refused');
    assert.equal(await queued[2], 'evicted', 'the newest priority-3 request made room');
    for (let i = 0; i < 4; i++) {
      instance.finishOne();
      await tick();
      await tick();
    }
    assert.deepEqual(await Promise.all([running, queued[0], queued[1], high]), ['ok', 'ok', 'ok', 'ok']);
    const shed = s.stats
      .snapshot()
      .shed.map((r) => `${r.reason} ${r.priority} ${r.count}`)
      .sort();
    assert.deepEqual(shed, ['evicted 3 1', 'queue_full 3 1']);
  });

  it('max_concurrency counts queued and computing requests; the pre-body check refuses only what priority 1 could not displace', async () => {
    const { s, instance } = scheduler({ maxConcurrency: 2 });
    const a = settle(s.submit(request(1)));
    await tick();
    const b = settle(s.submit(request(1)));
    assert.equal(s.inFlight, 2);
    assert.equal(s.admissionError()?.reason, 'concurrency_limit', 'all in flight are priority 1');
    assert.equal(await settle(s.submit(request(2))), 'concurrency_limit');
    instance.finishOne();
    await tick();
    await tick();
    instance.finishOne();
    assert.deepEqual(await Promise.all([a, b]), ['ok', 'ok']);
    assert.equal(s.inFlight, 0);
  });
});

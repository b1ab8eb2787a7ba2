/**
 * A batched call that fails because of one request's input: the scheduler runs the batch's requests apart (bisecting)
 * so only that request fails, as the caller's error, and the others get their answers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCHEDULING, type ModelConfig } from '../config/index.js';
import { InferenceError, RejectedInputError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { isolateFailure } from './isolate-failure.js';
import { ModelScheduler, type ExecutionInstance } from './model-scheduler.js';

/** y = 2x; a call fails, like a Gather out of bounds, when any row holds a negative x (or, with `failEvery`, always). */
class DoublingInstance implements ExecutionInstance {
  readonly calls: number[] = [];
  running: boolean | undefined = undefined;

  constructor(private readonly failEvery = false) {}

  async runTimed(inputs: readonly Tensor[]) {
    const x = inputs[0].data as Float32Array;
    this.calls.push(x.length);
    const bad = x.findIndex((v) => v < 0);
    if (this.failEvery || bad >= 0) {
      throw new InferenceError(
        'INTERNAL',
        `Gather: indices element out of data bounds, idx=${bad >= 0 ? x[bad] : 0} at /srv/inferd/src/gather.cc:42`,
      );
    }
    return {
      outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [x.length, 1], data: x.map((v) => 2 * v) }],
      computeNs: 1,
    };
  }

  async close() {}
}

function scheduler(instance: ExecutionInstance) {
  // Nine requests dispatched together: a preferred batch of 9, waiting up to a minute for it.
  const scheduling = {
    ...DEFAULT_SCHEDULING,
    dynamicBatching: true,
    preferredBatchSizes: [9],
    maxQueueDelayMicroseconds: 60_000_000,
  };
  const config = {
    name: 'm',
    maxBatchSize: 16,
    outputs: [{ name: 'y', datatype: 'FP32', dims: [1] }],
    scheduling,
  } as unknown as ModelConfig; // only the fields the scheduler reads
  return new ModelScheduler(config, "model 'm' version 1", [instance]);
}

const request = (x: number) => ({
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 1], data: Float32Array.of(x) }],
  outputs: ['y'],
  rows: 1,
});

/** Submits requests for xs together; each settles as its answer's y or its error. */
function submitAll(s: ModelScheduler, xs: readonly number[]) {
  return Promise.all(
    xs.map((x) =>
      s.submit(request(x)).then(
        (r) => (r.outputs[0].data as Float32Array)[0],
        (e: unknown) => e as Error,
      ),
    ),
  );
}

describe('a batched call failed by one request', () => {
  it("answers the 8 others and fails only that one, as a rejected input naming the runtime's reason without paths", async () => {
    const instance = new DoublingInstance();
    const s = scheduler(instance);
    const xs = [1, 2, 3, 4, -5, 6, 7, 8, 9];
    const results = await submitAll(s, xs);
    assert.equal(instance.calls[0], 9, 'the nine were joined into one call');
    xs.forEach((x, i) => {
      if (x < 0) return;
      assert.equal(results[i], 2 * x, `request ${i} got its own answer`);
    });
    const bad = results[4];
    assert.ok(bad instanceof RejectedInputError, String(bad));
    assert.equal(bad.code, 'INVALID_ARGUMENT');
    assert.match(
      bad.message,
      /^model 'm' version 1 rejected this request's input: .* while 8 other requests batched with it were answered\. The runtime said: Gather: indices element out of data bounds, idx=-5/,
    );
    assert.doesNotMatch(bad.message, /\/srv\//, 'no absolute path');
    assert.ok(instance.calls.length <= 2 * 9 - 1, `${instance.calls.length} runtime calls for a batch of 9`);
    assert.ok(
      instance.calls.length <= 1 + 2 * Math.ceil(Math.log2(9)),
      `bisecting finds one bad request in ${instance.calls.length} calls`,
    );
    const stats = s.stats.snapshot();
    assert.deepEqual(
      [stats.success.count, stats.fail.count, stats.isolations, stats.isolationRuns],
      [8, 1, 1, instance.calls.length - 1],
    );
    assert.equal(s.inFlight, 0);
  });

  it('two bad requests in one batch both fail as rejected inputs; the others are answered', async () => {
    const s = scheduler(new DoublingInstance());
    const results = await submitAll(s, [-1, 2, 3, 4, 5, 6, 7, 8, -9]);
    assert.ok(results[0] instanceof RejectedInputError && results[8] instanceof RejectedInputError);
    assert.deepEqual(results.slice(1, 8), [4, 6, 8, 10, 12, 14, 16]);
  });

  it("a model that fails every call fails every request with its own error (the server's), in at most 2n - 1 calls", async () => {
    const instance = new DoublingInstance(true);
    const results = await submitAll(scheduler(instance), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of results) {
      assert.ok(r instanceof InferenceError && !(r instanceof RejectedInputError), String(r));
      assert.equal((r as InferenceError).code, 'INTERNAL');
    }
    assert.equal(instance.calls.length, 2 * 9 - 1);
  });

  it("a request that fails alone after its instance stopped running is the server's failure, not the caller's", async () => {
    const instance = new DoublingInstance();
    instance.running = false;
    const results = await submitAll(scheduler(instance), [1, 2, 3, 4, -5, 6, 7, 8, 9]);
    assert.ok(results[4] instanceof InferenceError && !(results[4] instanceof RejectedInputError), String(results[4]));
  });
});

describe('isolateFailure', () => {
  it('a failure that only a large batch has (e.g. memory) leaves no request failed', async () => {
    const runs: number[] = [];
    const result = await isolateFailure([1, 2, 3, 4, 5, 6, 7, 8], async (part) => {
      runs.push(part.length);
      return part.length > 4 ? new Error('too big') : undefined;
    });
    assert.deepEqual([result.answered, result.failedAlone.size, runs], [8, 0, [4, 4]]);
  });

  it('costs 2n - 2 further calls when every request fails alone', async () => {
    for (const n of [2, 3, 8, 13]) {
      const items = Array.from({ length: n }, (_, i) => i);
      const result = await isolateFailure(items, async () => new Error('no'));
      assert.deepEqual([result.answered, result.failedAlone.size, result.runs], [0, n, 2 * n - 2], `n = ${n}`);
    }
  });
});

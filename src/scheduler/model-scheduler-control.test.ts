/**
 * A request that fails alone in its runtime call, with no batch to compare it with: the scheduler runs a request the
 * model answered before, on the same instance, as a control. Answered: the failed input is the caller's (a rejected
 * input). Failed too, or nothing to run, or the instance gone: the failure is the model's, as it is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCHEDULING, type ModelConfig } from '../config/index.js';
import { InferenceError, RejectedInputError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { ModelScheduler, type ExecutionInstance } from './model-scheduler.js';

/** y = 2x; a call fails, like a Gather out of bounds, when a row holds a negative x, or every call once `broken`. */
class DoublingInstance implements ExecutionInstance {
  /** The x values of each call, in order. */
  readonly calls: number[][] = [];
  running: boolean | undefined = undefined;
  broken = false;

  /** `moves`: each call takes its inputs' buffers away (as a transfer to a worker thread does). */
  constructor(private readonly moves = false) {}

  async runTimed(inputs: readonly Tensor[]) {
    const x = inputs[0].data as Float32Array;
    this.calls.push([...x]);
    const copy = Float32Array.from(x);
    if (this.moves) structuredClone(x.buffer, { transfer: [x.buffer as ArrayBuffer] });
    if (this.broken || copy.some((v) => v < 0))
      throw new InferenceError(
        'INTERNAL',
        `Gather: indices element out of data bounds, idx=${copy.find((v) => v < 0) ?? 0}`,
      );
    return {
      outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [copy.length, 1], data: copy.map((v) => 2 * v) }],
      computeNs: 1,
    };
  }

  async close() {}
}

/** A model that does not batch: each request runs in a call of its own. */
function scheduler(instance: ExecutionInstance) {
  const config = {
    name: 'm',
    maxBatchSize: 0,
    outputs: [{ name: 'y', datatype: 'FP32', dims: [1] }],
    scheduling: DEFAULT_SCHEDULING,
  } as unknown as ModelConfig; // only the fields the scheduler reads
  return new ModelScheduler(config, "model 'm' version 1", [instance]);
}

const request = (x: number) => ({
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1, 1], data: Float32Array.of(x) }],
  outputs: ['y'],
  rows: 1,
});

/** Runs one request; settles as its y or its error. */
const run = (s: ModelScheduler, x: number) =>
  s.submit(request(x)).then(
    (r) => (r.outputs[0].data as Float32Array)[0],
    (e: unknown) => e as Error,
  );

function assertModelsFailure(result: unknown): void {
  assert.ok(result instanceof InferenceError && !(result instanceof RejectedInputError), String(result));
  assert.equal(result.code, 'INTERNAL');
}

describe('a request failing alone in its call', () => {
  it('after the model answered a request: that request runs again as a control, is answered, and the failure is a rejected input', async () => {
    const instance = new DoublingInstance();
    const s = scheduler(instance);
    assert.equal(await run(s, 3), 6);
    const bad = await run(s, -5);
    assert.ok(bad instanceof RejectedInputError, String(bad));
    assert.equal(bad.code, 'INVALID_ARGUMENT');
    assert.match(
      bad.message,
      /^model 'm' version 1 rejected this request's input: its run failed, while a request the model answered before was answered when run again on the same instance right after\. The runtime said: Gather: indices element out of data bounds, idx=-5/,
    );
    assert.deepEqual(instance.calls, [[3], [-5], [3]], 'one control run, of the request answered before');
    const stats = s.stats.snapshot();
    assert.deepEqual([stats.success.count, stats.fail.count, stats.isolations, stats.isolationRuns], [1, 1, 1, 1]);
    assert.equal(await run(s, 4), 8, "the control's answer went to no one; the next request gets its own");
    assert.equal(s.inFlight, 0);
  });

  it('the control is the smallest request answered: a one-row request rather than a larger one answered after it', async () => {
    const instance = new DoublingInstance();
    const s = scheduler(instance);
    assert.equal(await run(s, 1), 2);
    const rows = {
      inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [3, 1], data: Float32Array.of(7, 8, 9) }],
      outputs: ['y'],
      rows: 3,
    };
    await s.submit(rows);
    assert.ok((await run(s, -1)) instanceof RejectedInputError);
    assert.deepEqual(instance.calls.at(-1), [1]);
  });

  it("when the model has stopped answering good requests too, the control fails and so does the request, as the model's failure", async () => {
    const instance = new DoublingInstance();
    const s = scheduler(instance);
    assert.equal(await run(s, 3), 6);
    instance.broken = true;
    assertModelsFailure(await run(s, 4));
    assert.deepEqual(instance.calls, [[3], [4], [3]], 'the control ran, and failed');
    assert.equal(s.stats.snapshot().isolationRuns, 1);
  });

  it("with nothing answered before, there is nothing to compare with: the model's failure, and no further run", async () => {
    const instance = new DoublingInstance();
    assertModelsFailure(await run(scheduler(instance), -5));
    assert.deepEqual(instance.calls, [[-5]]);
  });

  it("after the instance stopped running: the model's failure, and no control run", async () => {
    const instance = new DoublingInstance();
    const s = scheduler(instance);
    assert.equal(await run(s, 3), 6);
    instance.running = false;
    assertModelsFailure(await run(s, -5));
    assert.deepEqual(instance.calls, [[3], [-5]]);
  });

  it('a request whose buffers went to the runtime is not kept as a control (it no longer holds its values)', async () => {
    const instance = new DoublingInstance(true);
    const s = scheduler(instance);
    assert.equal(await run(s, 3), 6);
    assertModelsFailure(await run(s, -5));
    assert.deepEqual(instance.calls, [[3], [-5]]);
  });
});

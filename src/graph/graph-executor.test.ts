import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphConfig, ModelConfig } from '../config/index.js';
import type { Tensor } from '../tensor/index.js';
import { GraphExecutor, type MemberRequest } from './graph-executor.js';
import { planGraph } from './graph-plan.js';

/** A member with one FP32 input `x` [4] and one output `y` [4]. */
const member = {
  maxBatchSize: 8,
  inputs: [{ name: 'x', datatype: 'FP32', dims: [4] }],
  outputs: [{ name: 'y', datatype: 'FP32', dims: [4] }],
};
const lookup = () => member as unknown as ModelConfig;
const call = (name: string, model: string, from: string, to: string) => ({
  kind: 'step' as const,
  name,
  model,
  inputs: { x: from },
  outputs: { y: to },
});
const rows = (...values: number[][]): Tensor => ({
  name: 'in',
  datatype: 'FP32',
  shape: [values.length, 4],
  data: Float32Array.from(values.flat()),
});

/** Answers y = x + k for model `add<k>`, moving the input's buffer away first as a worker hop may. */
function adder(calls: MemberRequest[], gate?: Promise<void>) {
  return async (r: MemberRequest): Promise<Tensor[]> => {
    calls.push(r);
    const x = r.inputs[0].data as Float32Array;
    const copy = Float32Array.from(x);
    structuredClone(x.buffer, { transfer: [x.buffer as ArrayBuffer] }); // detaches x, as a transfer to a worker does
    await gate;
    const k = Number(r.model.slice(3));
    return [{ name: 'y', datatype: 'FP32', shape: [...r.inputs[0].shape], data: copy.map((v) => v + k) }];
  };
}

test('independent steps run at the same time; a tensor read twice is copied for all but its last reader', async () => {
  const graph: GraphConfig = {
    nodes: [call('a', 'add1', 'in', 'a'), call('b', 'add2', 'in', 'b')],
    outputs: ['a', 'b'],
  };
  const calls: MemberRequest[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const executor = new GraphExecutor(planGraph(graph, undefined, lookup, 'g'), adder(calls, gate));
  const input = rows([1, 2, 3, 4]);
  const running = executor.run([input], ['a', 'b']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    calls.map((c) => c.model),
    ['add1', 'add2'],
    'both steps were called before either answered',
  );
  assert.notEqual(calls[0].inputs[0].data, input.data, 'the first reader got a copy');
  assert.equal(calls[1].inputs[0].data, input.data, 'the last reader got the request its own buffer');
  open();
  const [a, b] = await running;
  assert.deepEqual([...(a.data as Float32Array)], [2, 3, 4, 5]);
  assert.deepEqual([...(b.data as Float32Array)], [3, 4, 5, 6]);
});

test('a switch answers each row from its case, in the rows order, and refuses a row no case takes', async () => {
  const cases = (withDefault: boolean) => [
    { when: 'in[0] > 10', model: 'add100', inputs: { x: 'in' }, outputs: { y: 'out' } },
    withDefault
      ? { model: 'add1', inputs: { x: 'in' }, outputs: { y: 'out' } }
      : { when: 'in[0] < 0', model: 'add1', inputs: { x: 'in' }, outputs: { y: 'out' } },
  ];
  const graph = (withDefault: boolean): GraphConfig => ({
    nodes: [{ kind: 'switch', name: 's', cases: cases(withDefault) }],
    outputs: ['out'],
  });
  const calls: MemberRequest[] = [];
  const run = (g: GraphConfig, t: Tensor) =>
    new GraphExecutor(planGraph(g, undefined, lookup, 'g'), adder(calls)).run([t], ['out']);
  const [out] = await run(graph(true), rows([20, 0, 0, 0], [1, 0, 0, 0], [30, 0, 0, 0]));
  assert.deepEqual([...(out.data as Float32Array)], [120, 100, 100, 100, 2, 1, 1, 1, 130, 100, 100, 100]);
  assert.deepEqual(
    calls.map((c) => [c.model, c.inputs[0].shape[0]]),
    [
      ['add100', 2],
      ['add1', 1],
    ],
  );
  await assert.rejects(run(graph(false), rows([5, 0, 0, 0])), /switch 's': no case matched row 0/);
});

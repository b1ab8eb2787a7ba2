import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphConfig, GraphNode, ModelConfig } from '../config/index.js';
import { planGraph, type MemberLookup } from './graph-plan.js';

/** A member's serving config: only what the planner reads. */
function member(name: string, inputs: Record<string, number[]>, outputs: Record<string, number[]>, batch = 8) {
  const spec = (m: Record<string, number[]>) =>
    Object.entries(m).map(([n, dims]) => ({ name: n, datatype: 'FP32' as const, dims }));
  return { name, maxBatchSize: batch, inputs: spec(inputs), outputs: spec(outputs) } as unknown as ModelConfig;
}

const MEMBERS: Record<string, ModelConfig> = {
  scaler: member('scaler', { raw: [30] }, { scaled: [30] }),
  clf: member('clf', { features: [30] }, { probabilities: [2] }, 4),
  other: member('other', { features: [30] }, { probabilities: [2] }),
  small: member('small', { features: [10] }, { probabilities: [2] }),
  flat: member('flat', { features: [30] }, { probabilities: [2] }, 0),
};
const lookup: MemberLookup = (m) => {
  const c = MEMBERS[m];
  if (!c) throw new Error(`model '${m}' is not loaded`);
  return c;
};

const step = (
  name: string,
  model: string,
  inputs: Record<string, string>,
  outputs: Record<string, string>,
): GraphNode => ({
  kind: 'step',
  name,
  model,
  inputs,
  outputs,
});
const CHAIN: GraphConfig = {
  nodes: [
    step('classify', 'clf', { features: 'scaled' }, { probabilities: 'p' }),
    step('scale', 'scaler', { raw: 'raw' }, { scaled: 'scaled' }),
  ],
  outputs: ['p'],
};

test('a chain is ordered by its tensors, its inputs and outputs taken from the members', () => {
  const plan = planGraph(CHAIN, undefined, lookup, 'g');
  assert.deepEqual(
    plan.nodes.map((n) => [n.name, n.deps]),
    [
      ['scale', []],
      ['classify', [0]],
    ],
  );
  assert.deepEqual(
    plan.inputs.map((id) => plan.tensors[id]),
    [{ name: 'raw', datatype: 'FP32', dims: [30] }],
  );
  assert.deepEqual(
    plan.outputs.map((id) => plan.tensors[id]),
    [{ name: 'p', datatype: 'FP32', dims: [2] }],
  );
  assert.equal(plan.batching, true);
  assert.equal(plan.maxBatchSize, 4, 'the smallest member batch');
});

test('independent steps depend only on what they read', () => {
  const graph: GraphConfig = {
    nodes: [
      step('scale', 'scaler', { raw: 'raw' }, { scaled: 's' }),
      step('a', 'clf', { features: 's' }, { probabilities: 'pa' }),
      step('b', 'other', { features: 's' }, { probabilities: 'pb' }),
      { kind: 'combine', name: 'avg', method: 'average', inputs: ['pa', 'pb'], output: 'p' },
    ],
    outputs: ['p'],
  };
  const plan = planGraph(graph, undefined, lookup, 'g');
  assert.deepEqual(
    plan.nodes.map((n) => n.deps),
    [[], [0], [0], [1, 2]],
  );
  assert.equal(plan.readers[plan.tensors.findIndex((t) => t.name === 's')], 2, 's is read twice');
});

const refused = (graph: GraphConfig, pattern: RegExp, declared?: Parameters<typeof planGraph>[1]) =>
  assert.throws(() => planGraph(graph, declared, lookup, 'g/config.yaml'), pattern);

test('config errors say what is wrong at load: unknown model, cycle, missing tensor, type and shape mismatch', () => {
  refused(
    { nodes: [step('x', 'nope', { features: 'raw' }, { probabilities: 'p' })], outputs: ['p'] },
    /g\/config.yaml: node 'x' calls model 'nope': model 'nope' is not loaded/,
  );
  refused(
    {
      nodes: [
        step('a', 'clf', { features: 'u' }, { probabilities: 't' }),
        step('b', 'clf', { features: 't' }, { probabilities: 'u' }),
      ],
      outputs: ['u'],
    },
    /has a cycle through 'a', 'b'/,
  );
  refused(CHAIN, /tensor 'raw' read by 'scale' is written by no node and is not one of the graph's inputs \(RAW\)/, [
    { name: 'RAW', datatype: 'FP32', dims: [30] },
  ]);
  refused(
    { nodes: [step('x', 'scaler', { raw: 'raw' }, { scaled: 's' })], outputs: ['nothing'] },
    /graph output 'nothing' is written by no node/,
  );
  refused(
    { nodes: [step('x', 'scaler', { raw: 'raw' }, { scaled: 's' })], outputs: ['s'] },
    /input 'raw' of model 'scaler' is FP32 but tensor 'raw' is INT64/,
    [{ name: 'raw', datatype: 'INT64', dims: [30] }],
  );
  refused(
    {
      nodes: [
        step('x', 'scaler', { raw: 'raw' }, { scaled: 's' }),
        step('y', 'small', { features: 's' }, { probabilities: 'p' }),
      ],
      outputs: ['p'],
    },
    /node 'y': input 'features' of model 'small' has dims \[10\] but tensor 's' has \[30\]/,
  );
  refused(
    { nodes: [step('x', 'scaler', { input: 'raw' }, { scaled: 's' })], outputs: ['s'] },
    /maps input 'input', which model 'scaler' does not have; its inputs are raw/,
  );
  refused(
    {
      nodes: [
        step('x', 'scaler', { raw: 'raw' }, { scaled: 's' }),
        step('y', 'flat', { features: 's' }, { probabilities: 'p' }),
      ],
      outputs: ['p'],
    },
    /must all batch/,
  );
});

test('a switch checks its conditions and that every case writes the same tensors', () => {
  const sw = (cases: unknown[]): GraphConfig => ({
    nodes: [
      step('scale', 'scaler', { raw: 'raw' }, { scaled: 's' }),
      { kind: 'switch', name: 'route', cases } as GraphNode,
    ],
    outputs: ['p'],
  });
  const c = (model: string, when?: string, out = 'p') => ({
    model,
    inputs: { features: 's' },
    outputs: { probabilities: out },
    ...(when ? { when } : {}),
  });
  const plan = planGraph(sw([c('clf', 'raw[0] > 15'), c('other')]), undefined, lookup, 'g');
  assert.equal(plan.nodes[1].kind, 'switch');
  refused(sw([c('clf', 'raw[0] >'), c('other')]), /switch 'route': cannot read 'when: raw\[0\] >'/);
  refused(sw([c('clf', 'size > 1'), c('other')]), /tensor 'size' read by 'route' is written by no node/);
  refused(sw([c('clf', 'raw[0] > 1'), c('other', undefined, 'q')]), /every case must write the same tensors/);
  refused(sw([c('clf'), c('other', 'raw[0] > 1')]), /only the last case may omit 'when'/);
});

test('combine inputs must agree', () => {
  const graph = (method: 'average' | 'concat', a: string, b: string): GraphConfig => ({
    nodes: [
      step('x', 'scaler', { raw: 'raw' }, { scaled: 's' }),
      step('y', 'clf', { features: 's' }, { probabilities: 'p' }),
      { kind: 'combine', name: 'c', method, inputs: [a, b], output: 'o' },
    ],
    outputs: ['o'],
  });
  refused(graph('average', 's', 'p'), /combine 'c': inputs 's', 'p' have dims \[30\], \[2\]/);
  const concat = planGraph(graph('concat', 's', 'p'), undefined, lookup, 'g');
  assert.deepEqual(concat.tensors[concat.outputs[0]].dims, [32]);
});

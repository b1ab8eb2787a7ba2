/**
 * A graph config checked against its member models and compiled once, at load, into what the executor runs:
 * nodes in dependency order with the indices of the tensors they read and write, and every graph tensor's spec.
 * Unknown models, cycles, missing tensors and type or shape mismatches are ConfigErrors that say what to change.
 */
import type { GraphConfig, GraphModelCall, GraphNode, ModelConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { compileExpression, type CompiledExpression } from '../lib/expression.js';
import { formatShape, type Datatype, type TensorSpec } from '../tensor/index.js';
import { combineSpec } from './combine.js';

/** The serving config of a member model (the version named, else the one requests naming none reach). */
export type MemberLookup = (model: string, version?: number) => ModelConfig;

/** A member call with tensors by index: `inputs[i]` feeds member input `inputNames[i]`. */
export interface PlannedCall {
  readonly model: string;
  readonly version: string | undefined;
  readonly inputNames: readonly string[];
  readonly inputs: readonly number[];
  readonly outputNames: readonly string[];
  readonly outputs: readonly number[];
}

export interface PlannedCase {
  readonly call: PlannedCall;
  /** Absent: the default case. */
  readonly when?: CompiledExpression | undefined;
  /** Tensor index and element of each of `when`'s variables, in `when.refs` order. */
  readonly vars: ReadonlyArray<{ readonly tensor: number; readonly element: number }>;
}

interface PlannedBase {
  readonly name: string;
  /** Nodes (indices into GraphPlan.nodes) whose outputs this one reads. */
  readonly deps: readonly number[];
}
export type PlannedNode =
  | (PlannedBase & { readonly kind: 'step'; readonly call: PlannedCall })
  | (PlannedBase & {
      readonly kind: 'switch';
      readonly cases: readonly PlannedCase[];
      readonly outputs: readonly number[];
    })
  | (PlannedBase & {
      readonly kind: 'combine';
      readonly method: 'average' | 'weighted_vote' | 'concat';
      readonly inputs: readonly number[];
      readonly weights: readonly number[];
      readonly output: number;
    });

export interface GraphPlan {
  /** In dependency order: every node after the nodes it reads from. */
  readonly nodes: readonly PlannedNode[];
  /** Every graph tensor; its index is its id. Dims without the batch dimension when `batching`. */
  readonly tensors: readonly TensorSpec[];
  /** The request's inputs (tensor ids), and the answer's outputs. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** How many readers each tensor has (nodes and the answer): a member is handed the original only by its last one. */
  readonly readers: Int32Array;
  /** Every member batches (the graph then does too), or none does. */
  readonly batching: boolean;
  /** The smallest max_batch_size among the members (0: none batches). */
  readonly maxBatchSize: number;
}

function dimsCompatible(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === -1 || b[i] === -1 || d === b[i]);
}

/** What a node reads and writes, by graph tensor name. */
function reads(node: GraphNode): string[] {
  switch (node.kind) {
    case 'step':
      return Object.values(node.inputs);
    case 'switch':
      return node.cases.flatMap((c) => [
        ...Object.values(c.inputs),
        ...(c.when === undefined ? [] : compile(c.when, node.name).refs.map((r) => r.name)),
      ]);
    case 'combine':
      return [...node.inputs];
  }
}
function writes(node: GraphNode): string[] {
  switch (node.kind) {
    case 'step':
      return Object.values(node.outputs);
    case 'switch':
      return Object.values(node.cases[0].outputs);
    case 'combine':
      return [node.output];
  }
}

function compile(source: string, node: string): CompiledExpression {
  try {
    return compileExpression(source);
  } catch (err) {
    throw new ConfigError(`switch '${node}': cannot read 'when: ${source}': ${(err as Error).message}`);
  }
}

/** Kahn's order over the nodes; a node left over lies on a cycle, named in the error. */
function order(nodes: readonly GraphNode[], producer: Map<string, number>, where: string): number[][] {
  const deps = nodes.map((n) => [...new Set(reads(n).flatMap((t) => (producer.has(t) ? [producer.get(t)!] : [])))]);
  const placed: number[] = [];
  const done = new Set<number>();
  while (placed.length < nodes.length) {
    const next = nodes.findIndex((_, i) => !done.has(i) && deps[i].every((d) => done.has(d)));
    if (next < 0) {
      const left = nodes.flatMap((n, i) => (done.has(i) ? [] : [n.name]));
      throw new ConfigError(
        `${where}: the graph has a cycle through ${left.map((n) => `'${n}'`).join(', ')}: a node reads a tensor written after it; break the cycle`,
      );
    }
    placed.push(next);
    done.add(next);
  }
  return placed.map((i) => [i, ...deps[i]]);
}

class Planner {
  readonly specs: TensorSpec[] = [];
  readonly ids = new Map<string, number>();
  readonly readers: number[] = [];
  private batchingSeen: { model: string; batching: boolean } | undefined;
  maxBatchSize = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly declared: ModelConfig['inputs'] | undefined,
    private readonly lookup: MemberLookup,
    private readonly where: string,
  ) {}

  define(name: string, datatype: Datatype, dims: readonly number[]): number {
    const id = this.specs.length;
    this.specs.push({ name, datatype, dims: [...dims] });
    this.ids.set(name, id);
    this.readers.push(0);
    return id;
  }

  /** A tensor a node reads: defined earlier, else a graph input (declared, or taken from the member's input). */
  use(name: string, reader: string, want?: TensorSpec): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      const spec = this.declared ? this.declared.find((d) => d.name === name) : want;
      if (!spec) {
        throw new ConfigError(
          `${this.where}: tensor '${name}' read by '${reader}' is written by no node` +
            (this.declared
              ? ` and is not one of the graph's inputs (${this.declared.map((d) => d.name).join(', ')}); map it from an output or declare it as an input`
              : '; map it from an output of an earlier node, or declare the graph inputs'),
        );
      }
      id = this.define(name, spec.datatype, spec.dims);
    }
    this.readers[id]++;
    return id;
  }

  private member(node: string, call: GraphModelCall): ModelConfig {
    let config: ModelConfig;
    try {
      config = this.lookup(call.model, call.version);
    } catch (err) {
      throw new ConfigError(`${this.where}: node '${node}' calls model '${call.model}': ${(err as Error).message}`);
    }
    const batching = config.maxBatchSize > 0;
    if (this.batchingSeen && this.batchingSeen.batching !== batching) {
      throw new ConfigError(
        `${this.where}: node '${node}': model '${call.model}' ${batching ? 'batches' : 'does not batch'} but '${this.batchingSeen.model}' ${batching ? 'does not' : 'does'}; a graph's members must all batch (max_batch_size > 0) or none`,
      );
    }
    this.batchingSeen ??= { model: call.model, batching };
    if (batching) this.maxBatchSize = Math.min(this.maxBatchSize, config.maxBatchSize);
    return config;
  }

  private check(tensor: number, spec: TensorSpec, what: string): void {
    const t = this.specs[tensor];
    if (t.datatype !== spec.datatype)
      throw new ConfigError(`${this.where}: ${what} is ${spec.datatype} but tensor '${t.name}' is ${t.datatype}`);
    if (!dimsCompatible(t.dims, spec.dims))
      throw new ConfigError(
        `${this.where}: ${what} has dims ${formatShape(spec.dims)} but tensor '${t.name}' has ${formatShape(t.dims)}`,
      );
  }

  /** Resolves and checks one member call: its inputs are read now, its outputs defined by `defineOutputs`. */
  call(node: string, call: GraphModelCall): { planned: Omit<PlannedCall, 'outputs'>; config: ModelConfig } {
    const config = this.member(node, call);
    const inputNames = Object.keys(call.inputs);
    for (const name of inputNames) {
      if (!config.inputs.some((i) => i.name === name))
        throw new ConfigError(
          `${this.where}: node '${node}' maps input '${name}', which model '${call.model}' does not have; its inputs are ${config.inputs.map((i) => i.name).join(', ')}`,
        );
    }
    const unmapped = config.inputs.filter((i) => !inputNames.includes(i.name) && !config.features);
    if (unmapped.length)
      throw new ConfigError(
        `${this.where}: node '${node}' leaves input(s) ${unmapped.map((i) => i.name).join(', ')} of model '${call.model}' unmapped; map each to a graph tensor`,
      );
    const inputs = inputNames.map((name) => {
      const spec = config.inputs.find((i) => i.name === name)!;
      const id = this.use(call.inputs[name], node, spec);
      this.check(id, spec, `node '${node}': input '${name}' of model '${call.model}'`);
      return id;
    });
    const outputNames = Object.keys(call.outputs);
    for (const name of outputNames) {
      if (!config.outputs.some((o) => o.name === name))
        throw new ConfigError(
          `${this.where}: node '${node}' maps output '${name}', which model '${call.model}' does not have; its outputs are ${config.outputs.map((o) => o.name).join(', ')}`,
        );
    }
    return {
      planned: { model: call.model, version: call.version?.toString(), inputNames, inputs, outputNames },
      config,
    };
  }

  /** Defines what a node writes; a tensor written twice is an error. */
  write(name: string, spec: Pick<TensorSpec, 'datatype' | 'dims'>, node: string): number {
    if (this.ids.has(name))
      throw new ConfigError(
        `${this.where}: node '${node}' writes tensor '${name}', which ${this.declared?.some((d) => d.name === name) ? 'is a graph input' : 'another node writes'}; give it another name`,
      );
    return this.define(name, spec.datatype, spec.dims);
  }
}

function planStep(p: Planner, node: GraphNode & { kind: 'step' }): Omit<PlannedNode & { kind: 'step' }, 'deps'> {
  const { planned, config } = p.call(node.name, node);
  const outputs = planned.outputNames.map((o) =>
    p.write(
      node.outputs[o],
      config.outputs.find((x) => x.name === o)!,
      node.name,
    ),
  );
  return { kind: 'step', name: node.name, call: { ...planned, outputs } };
}

function planSwitch(p: Planner, node: GraphNode & { kind: 'switch' }, where: string) {
  const targets = Object.values(node.cases[0].outputs);
  const calls = node.cases.map((c, i) => {
    const same = Object.values(c.outputs);
    if (same.length !== targets.length || !same.every((t) => targets.includes(t)))
      throw new ConfigError(
        `${where}: switch '${node.name}' case ${i + 1} writes ${same.join(', ')} but case 1 writes ${targets.join(', ')}; every case must write the same tensors`,
      );
    if (c.when === undefined && i < node.cases.length - 1)
      throw new ConfigError(`${where}: switch '${node.name}': only the last case may omit 'when' (the default)`);
    return { c, ...p.call(node.name, c) };
  });
  const specOf = (i: number, tensor: string) => {
    const { c, config } = calls[i];
    const member = Object.keys(c.outputs).find((k) => c.outputs[k] === tensor)!;
    return config.outputs.find((o) => o.name === member)!;
  };
  const outputs = targets.map((t) => {
    const first = specOf(0, t);
    calls.forEach((_, i) => {
      const other = specOf(i, t);
      if (other.datatype !== first.datatype || !dimsCompatible(other.dims, first.dims))
        throw new ConfigError(
          `${where}: switch '${node.name}' writes '${t}' as ${first.datatype} ${formatShape(first.dims)} in case 1 but ${other.datatype} ${formatShape(other.dims)} in case ${i + 1}`,
        );
    });
    return p.write(t, first, node.name);
  });
  const cases = calls.map(({ c, planned }): PlannedCase => {
    const when = c.when === undefined ? undefined : compile(c.when, node.name);
    const vars = (when?.refs ?? []).map((r) => ({ tensor: p.use(r.name, node.name), element: r.index ?? 0 }));
    const callOutputs = planned.outputNames.map((o) => outputs[targets.indexOf(c.outputs[o])]);
    return { call: { ...planned, outputs: callOutputs }, when, vars };
  });
  return { kind: 'switch' as const, name: node.name, cases, outputs };
}

function planCombine(p: Planner, node: GraphNode & { kind: 'combine' }, where: string) {
  const inputs = node.inputs.map((t) => p.use(t, node.name));
  const weights = node.weights ?? node.inputs.map(() => 1);
  if (weights.length !== inputs.length)
    throw new ConfigError(
      `${where}: combine '${node.name}' has ${weights.length} weights for ${inputs.length} inputs; give one per input`,
    );
  const spec = combineSpec(
    node.method,
    inputs.map((i) => p.specs[i]),
    `${where}: combine '${node.name}'`,
  );
  const output = p.write(node.output, spec, node.name);
  return { kind: 'combine' as const, name: node.name, method: node.method, inputs, weights, output };
}

/**
 * Checks `graph` against its members and compiles it. `declaredInputs`: the graph's inputs as its config declares
 * them (a Triton ensemble always does); absent, each tensor read before any node writes it is an input with the
 * spec of the member input it feeds.
 */
export function planGraph(
  graph: GraphConfig,
  declaredInputs: readonly TensorSpec[] | undefined,
  lookup: MemberLookup,
  where: string,
): GraphPlan {
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (names.has(n.name)) throw new ConfigError(`${where}: two graph nodes are named '${n.name}'; rename one`);
    names.add(n.name);
  }
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => writes(n).forEach((t) => producer.set(t, i)));
  const p = new Planner(declaredInputs, lookup, where);
  const inputs = (declaredInputs ?? []).map((d) => p.define(d.name, d.datatype, d.dims));
  const nodeIndex = new Map<number, number>(); // config index → plan index
  const nodes: PlannedNode[] = [];
  for (const [i, ...depConfigIdx] of order(graph.nodes, producer, where)) {
    const n = graph.nodes[i];
    const planned =
      n.kind === 'step' ? planStep(p, n) : n.kind === 'switch' ? planSwitch(p, n, where) : planCombine(p, n, where);
    nodeIndex.set(i, nodes.length);
    nodes.push({ ...planned, deps: depConfigIdx.map((d) => nodeIndex.get(d)!) } as PlannedNode);
  }
  const undeclared = declaredInputs ? [] : p.specs.flatMap((s, id) => (producer.has(s.name) ? [] : [id]));
  const outputs = graph.outputs.map((name) => {
    const id = p.ids.get(name);
    if (id === undefined)
      throw new ConfigError(
        `${where}: graph output '${name}' is written by no node; its tensors are ${[...p.ids.keys()].join(', ')}`,
      );
    p.readers[id]++;
    return id;
  });
  const batching = p.maxBatchSize !== Number.MAX_SAFE_INTEGER;
  return {
    nodes,
    tensors: p.specs,
    inputs: [...inputs, ...undeclared],
    outputs,
    readers: Int32Array.from(p.readers),
    batching,
    maxBatchSize: batching ? p.maxBatchSize : 0,
  };
}

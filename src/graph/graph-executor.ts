/**
 * Runs a compiled graph for one request, in-process: every node starts as soon as the nodes it reads from have
 * answered (independent steps run concurrently), member models are called through the core's data plane (their
 * routing, queue, batching and statistics apply), and intermediate tensors stay in memory as typed arrays.
 *
 * Ownership: a member may move its input buffers to a worker thread, so a member is handed a tensor's own buffer
 * only by its last reader; any earlier one gets a copy. The graph is the scheduler's execution instance (one
 * executor, shared by as many slots as graph requests may run at once).
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { combine } from './combine.js';
import type { GraphPlan, PlannedCall, PlannedNode } from './graph-plan.js';
import { copyTensor, gatherRows, scatterRows } from './rows.js';

/** One call of a member model, as the graph makes it. */
export interface MemberRequest {
  readonly model: string;
  /** Absent: the member's own routing picks the version. */
  readonly version: string | undefined;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly string[];
  /** The graph request's W3C traceparent: a member's spans join the caller's trace. */
  readonly traceparent?: string | undefined;
}

/** Calls a member model through the data plane; answers its outputs (any order, by name). */
export type MemberCaller = (request: MemberRequest) => Promise<readonly Tensor[]>;

/** What the request path hands a graph run (the scheduler's `context`): where node spans go. */
export interface GraphRunContext {
  /** A node ran from `startMs` to `endMs` (performance.now()). */
  step(node: string, startMs: number, endMs: number): void;
  readonly traceparent?: string | undefined;
}

function spansOf(context: unknown): GraphRunContext | undefined {
  return typeof (context as Partial<GraphRunContext> | undefined)?.step === 'function'
    ? (context as GraphRunContext)
    : undefined;
}

/** The tensors of one run, by id, with how many readers each has left. */
class RunState {
  readonly values: Array<Tensor | undefined>;
  private readonly left: Int32Array;

  constructor(
    plan: GraphPlan,
    readonly context: GraphRunContext | undefined,
  ) {
    this.values = new Array<Tensor | undefined>(plan.tensors.length);
    this.left = plan.readers.slice();
  }

  /** Reads a tensor on the main thread (combine, a switch's condition). */
  read(id: number): Tensor {
    this.left[id]--;
    return this.values[id]!;
  }

  /** A tensor for a member: its own buffer for the last reader, else a copy. */
  take(id: number): Tensor {
    const t = this.values[id]!;
    return --this.left[id] === 0 ? t : copyTensor(t);
  }
}

export class GraphExecutor {
  constructor(
    private readonly plan: GraphPlan,
    private readonly call: MemberCaller,
  ) {}

  /** The scheduler's instance contract: one request's inputs in, the asked-for outputs out. */
  async runTimed(inputs: readonly Tensor[], outputNames: readonly string[], context?: unknown) {
    const started = process.hrtime.bigint();
    const outputs = await this.run(inputs, outputNames, spansOf(context));
    return { outputs, computeNs: Number(process.hrtime.bigint() - started) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async run(inputs: readonly Tensor[], outputNames: readonly string[], spans?: GraphRunContext): Promise<Tensor[]> {
    const { plan } = this;
    const state = new RunState(plan, spans);
    for (const id of plan.inputs) state.values[id] = inputs.find((t) => t.name === plan.tensors[id].name);
    const done: Array<Promise<void>> = [];
    for (const node of plan.nodes) {
      const run = spans ? () => this.timed(node, state, spans) : () => this.runNode(node, state);
      done.push(node.deps.length === 0 ? run() : Promise.all(node.deps.map((d) => done[d])).then(run));
    }
    await Promise.all(done);
    return outputNames.map((name) => state.values[plan.outputs.find((id) => plan.tensors[id].name === name)!]!);
  }

  private async timed(node: PlannedNode, state: RunState, spans: GraphRunContext): Promise<void> {
    const start = performance.now();
    try {
      await this.runNode(node, state);
    } finally {
      spans.step(node.name, start, performance.now());
    }
  }

  private async runNode(node: PlannedNode, state: RunState): Promise<void> {
    switch (node.kind) {
      case 'step':
        return this.runCall(node.call, state, (id) => state.take(id));
      case 'switch':
        return this.runSwitch(node, state);
      case 'combine': {
        const tensors = node.inputs.map((id) => state.read(id));
        const name = this.plan.tensors[node.output].name;
        state.values[node.output] = combine(node.method, tensors, node.weights, node.name, name);
        return;
      }
    }
  }

  private async runCall(call: PlannedCall, state: RunState, input: (id: number) => Tensor): Promise<void> {
    const answered = await this.callMember(call, input, state.context?.traceparent);
    for (let i = 0; i < call.outputs.length; i++) state.values[call.outputs[i]] = answered[i];
  }

  /** Calls the member; its outputs in `call.outputs` order, named as the graph names them. */
  private async callMember(
    call: PlannedCall,
    input: (id: number) => Tensor,
    traceparent: string | undefined,
  ): Promise<Tensor[]> {
    const inputs = call.inputs.map((id, i) => ({ ...input(id), name: call.inputNames[i] }));
    const outputs = call.outputNames;
    const answer = await this.call({ model: call.model, version: call.version, inputs, outputs, traceparent });
    return call.outputNames.map((member, i) => {
      const t = answer.find((o) => o.name === member)!;
      return { ...t, name: this.plan.tensors[call.outputs[i]].name };
    });
  }

  private async runSwitch(node: PlannedNode & { kind: 'switch' }, state: RunState): Promise<void> {
    const rowsByCase = this.route(node, state);
    const used = rowsByCase.flatMap((rows, i) => (rows.length ? [i] : []));
    const total = rowsByCase.reduce((n, r) => n + r.length, 0);
    // Every reader of the switch is counted once per use in its cases: release the uses of cases not taken.
    if (used.length === 1) {
      const chosen = node.cases[used[0]].call;
      node.cases.forEach((c, i) => i !== used[0] && c.call.inputs.forEach((id) => state.read(id)));
      return this.runCall(chosen, state, (id) => state.take(id));
    }
    const parts = await Promise.all(
      used.map((i) =>
        this.callMember(
          node.cases[i].call,
          (id) => gatherRows(state.values[id]!, rowsByCase[i]),
          state.context?.traceparent,
        ).then((out) => ({
          i,
          out,
        })),
      ),
    );
    node.cases.forEach((c) => c.call.inputs.forEach((id) => state.read(id)));
    const merged: Array<Tensor | undefined> = node.outputs.map(() => undefined);
    for (const { i, out } of parts) {
      node.cases[i].call.outputs.forEach((id, k) => {
        const slot = node.outputs.indexOf(id);
        merged[slot] = scatterRows(merged[slot], out[k], rowsByCase[i], total);
      });
    }
    node.outputs.forEach((id, k) => (state.values[id] = merged[k]));
  }

  /** The rows each case answers: per row, the first case whose condition holds (the default has none). */
  private route(node: PlannedNode & { kind: 'switch' }, state: RunState): number[][] {
    const rowsByCase: number[][] = node.cases.map(() => []);
    const varTensors = node.cases.map((c) => c.vars.map((v) => state.read(v.tensor)));
    const first = varTensors.flat()[0] ?? state.values[node.cases[0].call.inputs[0]];
    const rows = this.plan.batching && first ? (first.shape[0] ?? 1) : 1;
    const args = new Float64Array(16);
    for (let r = 0; r < rows; r++) {
      const taken = node.cases.findIndex((c, i) => {
        if (!c.when) return true;
        const values = c.vars.length > args.length ? new Float64Array(c.vars.length) : args;
        c.vars.forEach((v, k) => {
          const t = varTensors[i][k];
          const width = t.data.length / rows;
          values[k] = Number(t.data[r * width + v.element]);
        });
        return c.when.evaluate(values) !== 0;
      });
      if (taken < 0)
        throw new InvalidArgumentError(
          `switch '${node.name}': no case matched row ${r}; the model's graph needs a default case (one without 'when')`,
        );
      rowsByCase[taken].push(r);
    }
    return rowsByCase;
  }
}

/**
 * An inference graph as a model config declares it: steps over other models, switches that pick one of several
 * model calls per row by a safe expression, and combines that merge tensors (average, weighted vote,
 * concatenation). Tensors are named once in a graph-wide namespace, as in Triton's ensembles: the request's
 * inputs, then every node's outputs. Checked against the member models at load (graph/graph-plan.ts).
 *
 * ```yaml
 * graph:
 *   nodes:
 *     - step: scale
 *       model: bc_scaler
 *       inputs: { raw: raw }            # member input ← graph tensor
 *       outputs: { scaled: scaled }     # member output → graph tensor
 *     - step: classify
 *       model: bc_logreg
 *       inputs: { features: scaled }
 *       outputs: { probabilities: probabilities }
 *   outputs: [probabilities]
 * ```
 *
 * Node kinds are a discriminated union (`kind`): a new kind adds a member here, a case to the yaml reader and to
 * graph/'s planner and executor.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

/** A call of one member model: which model (and version), and how graph tensors map to its inputs and outputs. */
export interface GraphModelCall {
  readonly model: string;
  /** A fixed version; absent: the member's routing picks one, as for any request naming none. */
  readonly version?: number | undefined;
  /** Member input name → graph tensor name. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Member output name → graph tensor name. Only these outputs are asked of the member. */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface GraphStepNode extends GraphModelCall {
  readonly kind: 'step';
  readonly name: string;
}

/** One case of a switch: its condition (absent: the default case) and the model call it makes. */
export interface GraphSwitchCase extends GraphModelCall {
  /** An expression over graph tensors (lib/expression.ts), evaluated per row; the first true case answers the row. */
  readonly when?: string | undefined;
}

export interface GraphSwitchNode {
  readonly kind: 'switch';
  readonly name: string;
  readonly cases: readonly GraphSwitchCase[];
}

export type CombineMethod = 'average' | 'weighted_vote' | 'concat';

export interface GraphCombineNode {
  readonly kind: 'combine';
  readonly name: string;
  readonly method: CombineMethod;
  /** Graph tensors combined, in order. */
  readonly inputs: readonly string[];
  /** One weight per input (average and weighted_vote; default: equal). */
  readonly weights?: readonly number[] | undefined;
  /** The graph tensor written. */
  readonly output: string;
}

export type GraphNode = GraphStepNode | GraphSwitchNode | GraphCombineNode;

export interface GraphConfig {
  readonly nodes: readonly GraphNode[];
  /** Graph tensors the graph answers with, by name. */
  readonly outputs: readonly string[];
}

/** The platform a graph's config reports (Triton's ensembles keep their own, `ensemble`). */
export const GRAPH_PLATFORM = 'inferd_graph';

/**
 * A version folder's own graph (`<model>/<version>/graph.yaml`, the `graph:` section's content): each version of
 * a graph model may declare a different graph, as each version of an ONNX model holds a different artefact.
 */
export const GRAPH_VERSION_FILE = 'graph.yaml';

/** The most nodes one graph may declare. */
export const MAX_GRAPH_NODES = 64;

const tensorMap = z.record(z.string().min(1), z.string().min(1));
const call = {
  model: z.string().min(1),
  version: z.number().int().min(1).optional(),
  inputs: tensorMap,
  outputs: tensorMap,
};
const stepNode = z.strictObject({ step: z.string().min(1), ...call });
const switchCase = z.strictObject({ when: z.string().min(1).optional(), ...call });
const switchNode = z.strictObject({ switch: z.string().min(1), cases: z.array(switchCase).min(1) });
const combineNode = z.strictObject({
  combine: z.string().min(1),
  method: z.enum(['average', 'weighted_vote', 'concat']),
  inputs: z.array(z.string().min(1)).min(1),
  weights: z.array(z.number().nonnegative()).optional(),
  output: z.string().min(1),
});
const graphSchema = z.strictObject({
  nodes: z
    .array(z.union([stepNode, switchNode, combineNode]))
    .min(1)
    .max(MAX_GRAPH_NODES),
  outputs: z.array(z.string().min(1)).min(1),
});

function toNode(n: z.infer<typeof graphSchema>['nodes'][number]): GraphNode {
  if ('step' in n) {
    const { step, ...rest } = n;
    return { kind: 'step', name: step, ...rest };
  }
  if ('switch' in n) return { kind: 'switch', name: n.switch, cases: n.cases };
  const { combine, ...rest } = n;
  return { kind: 'combine', name: combine, ...rest };
}

/** Reads config.yaml's `graph:` section. Throws a ConfigError naming the file and the field. */
export function parseGraphConfig(raw: unknown, file: string): GraphConfig {
  const parsed = graphSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: invalid graph:\n${z.prettifyError(parsed.error)}`);
  return { nodes: parsed.data.nodes.map(toNode), outputs: parsed.data.outputs };
}

/** Reads a version folder's `graph.yaml` (the content of a `graph:` section). */
export function readGraphFile(text: string, file: string): GraphConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseGraphConfig(raw, file);
}

/**
 * A graph model's nodes in its config JSON: Triton's `ensemble_scheduling` when every node is a step (what
 * tritonclient reads of an ensemble), else inferd's `graph` with each node's kind.
 */
import type { GraphConfig } from '../config/index.js';

export function encodeGraph(graph: GraphConfig): Record<string, unknown> {
  if (graph.nodes.every((n) => n.kind === 'step'))
    return {
      ensemble_scheduling: {
        step: graph.nodes.map((n) => ({
          model_name: n.model,
          model_version: n.version ?? -1,
          input_map: n.inputs,
          output_map: n.outputs,
        })),
      },
    };
  return { graph: { nodes: graph.nodes, outputs: graph.outputs } };
}

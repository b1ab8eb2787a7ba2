/**
 * Loads a version of a graph model (runtime `graph`): its graph is checked against the member models serving now
 * and compiled (graph/graph-plan.ts), its config completed from that plan as a model's is from its artefact, and
 * its scheduler given the graph's executor as the instance of every slot: up to GRAPH_SLOTS graph requests run at
 * once, each calling its members through the data plane (`MemberCaller`, given by the inference core). No
 * worker, no artefact, no warm-up of its own (the members warm themselves).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GRAPH_VERSION_FILE, readGraphFile, type GraphConfig, type ModelConfig } from '../config/index.js';
import { ModelLoadError } from '../errors/index.js';
import { GraphExecutor, type MemberCaller } from '../graph/graph-executor.js';
import { planGraph, type MemberLookup } from '../graph/graph-plan.js';
import type { ModelDefinition } from '../repository/model-repository.js';
import { ModelScheduler } from '../scheduler/model-scheduler.js';
import type { RuntimeTensorInfo } from '../runtimes/runtime.js';
import { versionLabel } from '../config/version-label.js';
import { completeConfig } from './complete-config.js';
import { INTEGRITY_OFF, verifyVersionIntegrity } from './integrity.js';
import type { LoadedVersion, LoadOptions } from './load-version.js';

/** Graph requests one version runs at once; more wait in its queue (members batch and queue on their own). */
export const GRAPH_SLOTS = 1024;

export interface GraphMembers {
  readonly lookup: MemberLookup;
  readonly call: MemberCaller;
}

/** A version of a graph model: its config says so, or (no runtime declared) its folder holds a graph.yaml. */
export function isGraphVersion(def: ModelDefinition, version: number): boolean {
  const runtime = def.config.runtime;
  return (
    runtime === 'graph' ||
    (runtime === undefined && existsSync(join(def.dir, versionLabel(version), GRAPH_VERSION_FILE)))
  );
}

/** The version folder's own graph.yaml, else the config's `graph:`. */
async function versionGraph(def: ModelDefinition, version: number, label: string): Promise<GraphConfig> {
  const file = join(def.dir, versionLabel(version), GRAPH_VERSION_FILE);
  if (existsSync(file))
    return readGraphFile(await readFile(file, 'utf8'), `${def.name}/${versionLabel(version)}/${GRAPH_VERSION_FILE}`);
  if (def.config.graph) return def.config.graph;
  throw new ModelLoadError(
    `${label}: no graph to run; declare graph: in the model's config.yaml or put a ${GRAPH_VERSION_FILE} in its version folder`,
  );
}

export async function loadGraphVersion(
  def: ModelDefinition,
  version: number,
  members: GraphMembers | undefined,
  options: LoadOptions = {},
): Promise<LoadedVersion> {
  const label = `model '${def.name}' version ${version}`;
  if (!members) throw new ModelLoadError(`${label}: graphs are served by the inference core; load it through a server`);
  const integrity = await verifyVersionIntegrity(
    join(def.dir, versionLabel(version)),
    options.integrity ?? INTEGRITY_OFF,
    label,
    `${def.name}/${version}`,
  );
  const graph = await versionGraph(def, version, label);
  const declared = { ...def.config, graph };
  const plan = planGraph(graph, declared.inputs, members.lookup, declared.where);
  const info = (ids: readonly number[]): RuntimeTensorInfo[] =>
    ids.map((id) => {
      const t = plan.tensors[id];
      return { name: t.name, datatype: t.datatype, shape: plan.batching ? [-1, ...t.dims] : [...t.dims] };
    });
  const maxBatchSize = declared.maxBatchSize ?? plan.maxBatchSize;
  if (maxBatchSize > plan.maxBatchSize && plan.batching)
    throw new ModelLoadError(
      `${declared.where}: max_batch_size ${maxBatchSize} is above ${plan.maxBatchSize}, the smallest among the graph's members; lower it`,
    );
  const completed = completeConfig({
    declared: { ...declared, maxBatchSize },
    runtime: 'graph',
    signature: { inputs: info(plan.inputs), outputs: info(plan.outputs) },
  });
  // A graph request runs as it comes: its members join the rows of concurrent graph requests into their batches.
  const config: ModelConfig = Object.freeze({
    ...completed,
    scheduling: { ...completed.scheduling, dynamicBatching: false },
  });
  const executor = new GraphExecutor(plan, members.call);
  const scheduler = new ModelScheduler(
    config,
    label,
    Array.from({ length: GRAPH_SLOTS }, () => executor),
  );
  return { config, scheduler, warmup: { source: 'disabled', requests: 0, ms: 0 }, integrity, coldRuns: () => 0 };
}

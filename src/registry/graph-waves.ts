/**
 * The order models load in at start: every model that is not a graph first, all at once; then graphs whose
 * members have loaded, wave by wave. Graphs left when no wave makes progress (they call each other in a cycle, or
 * a member that is not in the repository) load last, and their load says why they fail.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GRAPH_VERSION_FILE } from '../config/index.js';
import { versionLabel } from '../config/version-label.js';
import type { ModelDefinition } from '../repository/model-repository.js';

/** A graph model: its config says so, or (no runtime declared) a version folder holds a graph.yaml. */
function isGraph(def: ModelDefinition): boolean {
  if (def.config.runtime !== undefined) return def.config.runtime === 'graph';
  return def.versions.some((v) => existsSync(join(def.dir, versionLabel(v), GRAPH_VERSION_FILE)));
}

/** The models a graph's config calls; a graph declared only by its versions' graph.yaml files names none here. */
function members(def: ModelDefinition): string[] {
  return (def.config.graph?.nodes ?? []).flatMap((n) =>
    n.kind === 'step' ? [n.model] : n.kind === 'switch' ? n.cases.map((c) => c.model) : [],
  );
}

export async function graphWaves(
  names: readonly string[],
  read: (name: string) => Promise<ModelDefinition>,
): Promise<string[][]> {
  // A model that cannot be read here loads in the first wave, whose load reports why.
  const readable = await Promise.all(names.map((n) => read(n).catch(() => undefined)));
  const defs = readable.flatMap((d) => (d ? [d] : []));
  const graphs = defs.filter(isGraph);
  if (graphs.length === 0) return [[...names]];
  const waves = [names.filter((n) => !graphs.some((g) => g.name === n))];
  const placed = new Set(waves[0]);
  let left = graphs;
  while (left.length) {
    // Graphs whose members only their graph.yaml files name wait until no other graph can go.
    const ready = left.filter((g) => g.config.graph && members(g).every((m) => placed.has(m) || !names.includes(m)));
    const wave = ready.length ? ready : left.filter((g) => !g.config.graph);
    const next = wave.length ? wave : left;
    waves.push(next.map((g) => g.name));
    for (const g of next) placed.add(g.name);
    left = left.filter((g) => !next.includes(g));
  }
  return waves;
}

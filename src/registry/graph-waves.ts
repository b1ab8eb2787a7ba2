/**
 * The order models load in at start: every model that is not a graph first, all at once; then graphs whose
 * members have loaded, wave by wave. Graphs left when no wave makes progress (they call each other in a cycle, or
 * a member that is not in the repository) load last, and their load says why they fail.
 */
import type { ModelDefinition } from '../repository/model-repository.js';

function members(def: ModelDefinition): string[] {
  return (def.config.graph?.nodes ?? []).flatMap((n) =>
    n.kind === 'step' ? [n.model] : n.kind === 'switch' ? n.cases.map((c) => c.model) : [],
  );
}

export async function graphWaves(
  names: readonly string[],
  read: (name: string) => Promise<ModelDefinition>,
): Promise<string[][]> {
  const defs = await Promise.all(names.map(read));
  const graphs = defs.filter((d) => d.config.runtime === 'graph');
  if (graphs.length === 0) return [[...names]];
  const waves = [defs.filter((d) => d.config.runtime !== 'graph').map((d) => d.name)];
  const placed = new Set(waves[0]);
  let left = graphs;
  while (left.length) {
    const wave = left.filter((g) => members(g).every((m) => placed.has(m) || !names.includes(m)));
    const next = wave.length ? wave : left;
    waves.push(next.map((g) => g.name));
    for (const g of next) placed.add(g.name);
    left = left.filter((g) => !next.includes(g));
  }
  return waves;
}

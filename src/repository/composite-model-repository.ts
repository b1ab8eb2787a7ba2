/**
 * Several repositories served as one (Triton's repeated --model-repository): each model lives in exactly one.
 * A name found in two is refused with both locations named, rather than one silently hiding the other.
 */
import { defaultModelConfig } from '../config/index.js';
import type { ModelDefinition, ModelRepository } from './model-repository.js';

export class CompositeModelRepository implements ModelRepository {
  readonly location: string;
  readonly root: string;
  /** Which repositories hold each name, as last listed. */
  private owners = new Map<string, ModelRepository[]>();

  constructor(readonly parts: readonly ModelRepository[]) {
    this.location = parts.map((p) => p.location).join(', ');
    this.root = parts[0].root;
  }

  async modelNames(): Promise<string[]> {
    const lists = await Promise.all(this.parts.map((p) => p.modelNames()));
    const owners = new Map<string, ModelRepository[]>();
    lists.forEach((names, i) => {
      for (const n of names) owners.set(n, [...(owners.get(n) ?? []), this.parts[i]]);
    });
    this.owners = owners;
    return [...owners.keys()].sort();
  }

  modelNamesSync(): string[] {
    return [...new Set(this.parts.flatMap((p) => p.modelNamesSync()))].sort();
  }

  /** The repository holding `name` (the first when none does: it reports the model missing). */
  private async ownerOf(name: string): Promise<ModelRepository | ModelDefinition> {
    if (!this.owners.has(name)) await this.modelNames();
    const owners = this.owners.get(name) ?? [this.parts[0]];
    if (owners.length === 1) return owners[0];
    return {
      name,
      dir: owners[0].root,
      config: defaultModelConfig(name),
      versions: [],
      error: `model '${name}' is in more than one model repository (${owners.map((o) => o.location).join(' and ')}); keep it in one`,
    };
  }

  modelFolder(name: string): string {
    const owner = this.owners.get(name)?.[0] ?? this.parts[0];
    return owner.modelFolder(name);
  }

  async readModel(name: string): Promise<ModelDefinition> {
    const owner = await this.ownerOf(name);
    return 'readModel' in owner ? owner.readModel(name) : owner;
  }

  async fingerprint(name: string, version: number): Promise<string> {
    const owner = await this.ownerOf(name);
    return 'readModel' in owner ? owner.fingerprint(name, version) : 'ambiguous';
  }

  async fetchVersion(def: ModelDefinition, version: number): Promise<void> {
    const owner = await this.ownerOf(def.name);
    if ('readModel' in owner) await owner.fetchVersion?.(def, version);
  }

  rewritePaths(message: string): string {
    let out = message;
    for (const p of this.parts) {
      out = p.rewritePaths?.(out) ?? out;
      // The first part's folder is the registry's root; the others' are named relative to theirs here.
      if (p !== this.parts[0] && !p.rewritePaths) out = out.split(`${p.root}/`).join('');
    }
    return out;
  }

  close(): void {
    for (const p of this.parts) p.close?.();
  }
}

/** Builds throwaway model repositories from the fixture models, for scheduler tests. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ModelSpec {
  /** Path of the .onnx file relative to the repository root. */
  readonly onnx: string;
  readonly configYaml?: string;
}

export function makeRepository(models: Record<string, ModelSpec>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-sched-'));
  for (const [name, spec] of Object.entries(models)) {
    mkdirSync(join(dir, name, '1'), { recursive: true });
    cpSync(join(ROOT, spec.onnx), join(dir, name, '1', 'model.onnx'));
    if (spec.configYaml) writeFileSync(join(dir, name, 'config.yaml'), spec.configYaml);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

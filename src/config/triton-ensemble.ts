/**
 * Triton's ensembles (`platform: "ensemble"`, `ensemble_scheduling { step [...] }`) read as inference graphs
 * (graph-config.ts): each step is a graph step over its `model_name`, `input_map` and `output_map` as they are,
 * so a Triton ensemble repository serves unchanged.
 */
import { ConfigError } from '../errors/index.js';
import type { GraphConfig, GraphStepNode } from './graph-config.js';
import { asArray, type TextMessage, type TextValue } from './pbtxt.js';

function isMessage(v: TextValue | undefined): v is TextMessage {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `input_map { key: "a" value: "b" }` repeated, or the JSON form `{ "a": "b" }`. */
function tensorMap(v: TextValue | undefined, file: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (isMessage(v) && !('key' in v)) {
    for (const [key, value] of Object.entries(v)) out[key] = String(value);
    return out;
  }
  for (const entry of asArray(v)) {
    if (!isMessage(entry) || typeof entry.key !== 'string' || typeof entry.value !== 'string')
      throw new ConfigError(`${file}: ${where} entries need a key (the model's tensor) and a value (the ensemble's)`);
    out[entry.key] = entry.value;
  }
  return out;
}

function step(s: TextValue, i: number, file: string): GraphStepNode {
  const where = `ensemble_scheduling.step[${i}]`;
  if (!isMessage(s) || typeof s.model_name !== 'string' || !s.model_name)
    throw new ConfigError(`${file}: ${where} needs a model_name`);
  const v = s.model_version === undefined ? -1 : Number(s.model_version);
  if (!Number.isInteger(v) || v === 0 || v < -1)
    throw new ConfigError(`${file}: ${where} model_version must be -1 (the latest) or a version number, got ${v}`);
  return {
    kind: 'step',
    name: `${s.model_name}#${i}`,
    model: s.model_name,
    ...(v > 0 ? { version: v } : {}),
    inputs: tensorMap(s.input_map, file, `${where}.input_map`),
    outputs: tensorMap(s.output_map, file, `${where}.output_map`),
  };
}

/** The graph an ensemble's `ensemble_scheduling` declares; `outputs` are the ensemble's declared output names. */
export function ensembleGraph(scheduling: TextValue, outputs: readonly string[], file: string): GraphConfig {
  if (!isMessage(scheduling)) throw new ConfigError(`${file}: ensemble_scheduling must be a message with steps`);
  const steps = asArray(scheduling.step);
  if (steps.length === 0) throw new ConfigError(`${file}: ensemble_scheduling has no step`);
  if (outputs.length === 0) throw new ConfigError(`${file}: an ensemble must declare its output tensors`);
  return { nodes: steps.map((s, i) => step(s, i, file)), outputs };
}

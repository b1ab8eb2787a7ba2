/**
 * Helpers for the lifecycle and routing tests: temporary repositories of digits versions (good and faulty
 * candidates), request bodies from the digits reference rows, a closed-loop load generator that records every
 * answer, and polling.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readJsonFixture, ROOT } from '../helpers/server.js';
import { GIVE_UP_MS, waitFor as waitUntil } from '../helpers/wait-for.js';

/** digits and drop-in candidates with its signature (see scripts/fixtures/make_canary_models.py). */
export const MODELS = {
  digits: join(ROOT, 'models/digits/1/model.onnx'),
  /** Different weights, same answers on most rows: a good candidate. */
  heavy: join(ROOT, 'models/mlp_heavy/1/model.onnx'),
  /** digits retrained: its weights perturbed, the same label on 30 of the 32 reference rows, the same cost. */
  retrained: join(ROOT, 'test/fixtures/models/digits_retrained.onnx'),
  /** Fails any row with a pixel above 16. */
  faulty: join(ROOT, 'test/fixtures/models/digits_faulty.onnx'),
  /** digits' answers, more than 100 ms per row. */
  slow: join(ROOT, 'test/fixtures/models/digits_slow.onnx'),
  /** Pushes most rows to class 9. */
  biased: join(ROOT, 'test/fixtures/models/digits_biased.onnx'),
  corrupt: join(ROOT, 'test/fixtures/models/not_a_model.onnx'),
} as const;

/** Copies `file` to `<dir>/<model>/<version>/model.onnx`. */
export function putVersion(dir: string, model: string, version: number, file: string): string {
  const versionDir = join(dir, model, String(version));
  mkdirSync(versionDir, { recursive: true });
  cpSync(file, join(versionDir, 'model.onnx'));
  return versionDir;
}

/** A temporary repository: model → versions (number → ONNX file) and an optional config.yaml text. */
export function tempRepo(models: Record<string, { versions: Record<number, string>; config?: string }>): {
  dir: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-lifecycle-'));
  for (const [name, spec] of Object.entries(models)) {
    for (const [v, file] of Object.entries(spec.versions)) putVersion(dir, name, Number(v), file);
    if (spec.config) writeFileSync(join(dir, name, 'config.yaml'), spec.config);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const reference = readJsonFixture<{ inputs: number[][] }>('test/fixtures/reference/digits.json');

/** Reference digits row i (cycled), as a V2 JSON body; `parameters` are added as given. */
export function digitsBody(i: number, parameters?: Record<string, unknown>): string {
  return JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: reference.inputs[i % reference.inputs.length] }],
    ...(parameters ? { parameters } : {}),
  });
}

/** Row i with one pixel at 20, out of the 0..16 range digits was trained on (the faulty candidate fails it). */
export function glitchBody(i: number): string {
  const row = [...reference.inputs[i % reference.inputs.length]];
  row[i % 64] = 20;
  return JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: row }] });
}

export interface Answer {
  readonly status: number;
  readonly version?: string | undefined;
  readonly label?: number | undefined;
  readonly error?: string | undefined;
  readonly latencyMs: number;
}

export interface LoadReport {
  readonly answers: Answer[];
  readonly failures: Answer[];
  /** Answers per version that answered. */
  readonly versions: Record<string, number>;
}

/** Posts one inference request and reads the answer. */
export async function infer(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers });
  const json = (await res.json()) as {
    model_version?: string;
    error?: string;
    outputs?: Array<{ name: string; data: number[] }>;
  };
  const label = json.outputs?.find((o) => o.name === 'label')?.data[0];
  return {
    status: res.status,
    version: json.model_version,
    label,
    error: json.error,
    latencyMs: performance.now() - started,
  };
}

/**
 * Runs `concurrency` closed loops against `url` until stop() resolves with every answer. `answered(n)` resolves
 * once n answers have come back (wait for that, not for a time, before judging the traffic).
 */
export function startLoad(
  url: string,
  o: { concurrency: number; body: (i: number) => string },
): { stop(): Promise<LoadReport>; count(): number; answered(n: number): Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: o.concurrency }, async () => {
    while (running) answers.push(await infer(url, o.body(next++)));
  });
  return {
    count: () => answers.length,
    answered: (n) => waitUntil(() => answers.length >= n, `${n} answers`),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      const versions: Record<string, number> = {};
      for (const a of answers) if (a.status === 200 && a.version) versions[a.version] = (versions[a.version] ?? 0) + 1;
      return { answers, failures: answers.filter((a) => a.status !== 200), versions };
    },
  };
}

/**
 * Polls `check` until it returns a value other than undefined. Fails with `what` only after GIVE_UP_MS, so that a
 * defect cannot hang the suite: a slow machine makes the wait longer, never red.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = GIVE_UP_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The q-quantile of values (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** GETs or POSTs JSON and returns status and body. */
export async function call<T = Record<string, unknown>>(
  url: string,
  init?: { method?: string; body?: unknown },
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: init?.method ?? (init?.body === undefined ? 'GET' : 'POST'),
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

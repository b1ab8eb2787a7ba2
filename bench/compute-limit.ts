/**
 * The compute limit: raw in-process onnxruntime throughput, no HTTP, no JSON. One session per model with the
 * options inferd uses (intraOpNumThreads 1, sequential), a timed loop of session.run at each batch size.
 *
 * As a script (child process): node dist/bench/compute-limit.js --duration-ms 2000 → one JSON line.
 * From the harness: measureComputeLimit().
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { referenceRows } from './bodies.js';
import { exitWithParent } from './child-lifetime.js';
import { runToEnd } from './children.js';
import { DIST_BENCH, MODELS_DIR } from './paths.js';

export const COMPUTE_MODELS = ['digits', 'mlp_heavy'] as const;
export const COMPUTE_BATCHES = [1, 8, 32, 64] as const;

export interface ComputeResult {
  readonly model: string;
  readonly batch: number;
  readonly runs: number;
  readonly rowsPerS: number;
  readonly usPerRun: number;
}

async function measure(model: string, durationMs: number): Promise<ComputeResult[]> {
  const session = await ort.InferenceSession.create(join(MODELS_DIR, model, '1', 'model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const rows = referenceRows();
  const out: ComputeResult[] = [];
  for (const batch of COMPUTE_BATCHES) {
    const data = new Float32Array(batch * 64);
    for (let i = 0; i < batch; i++) data.set(rows[i % rows.length], i * 64);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 64]) };
    for (let i = 0; i < 20; i++) await session.run(feeds);
    let runs = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs) {
      await session.run(feeds);
      runs++;
      elapsed = performance.now() - start;
    }
    out.push({ model, batch, runs, rowsPerS: (runs * batch * 1000) / elapsed, usPerRun: (elapsed * 1000) / runs });
  }
  await session.release();
  return out;
}

/** Runs this file as a child process and returns its measurements. */
export async function measureComputeLimit(durationMs: number): Promise<ComputeResult[]> {
  const budget = COMPUTE_MODELS.length * COMPUTE_BATCHES.length * (durationMs + 2000) + 30_000;
  const { stdout } = await runToEnd(
    'compute-limit',
    process.execPath,
    [join(DIST_BENCH, 'compute-limit.js'), '--duration-ms', String(durationMs)],
    budget,
  );
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`compute-limit printed no JSON:\n${stdout}`);
  return (JSON.parse(line) as { compute: ComputeResult[] }).compute;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  exitWithParent();
  const { values } = parseArgs({ options: { 'duration-ms': { type: 'string', default: '2000' } } });
  const results: ComputeResult[] = [];
  for (const model of COMPUTE_MODELS) results.push(...(await measure(model, Number(values['duration-ms']))));
  process.stdout.write(`${JSON.stringify({ compute: results })}\n`);
}

/**
 * Tree runtime throughput: inferd's evaluator (in-process, one thread) beside XGBoost's own inplace_predict
 * (Python, nthread=1), at batch 1 and 256, on the bundled breast-cancer model. Appends a table to BENCHMARKS.md.
 *
 * Usage: node dist/bench/tree/tree-bench.js [--quick]
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadXGBoostModel, predict, predictContributions } from '../../src/runtimes/tree/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL = join(ROOT, 'models/breast_cancer_xgb/1/model.json');
const REFERENCE = join(ROOT, 'test/fixtures/xgboost/breast_cancer_binary/reference.json');

function rowsPerSecond(run: () => void, rows: number, seconds: number): number {
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    run();
    done += rows;
  }
  return done / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const seconds = quick ? 0.5 : 2;
  const repeats = quick ? 1 : 3;
  const model = loadXGBoostModel(readFileSync(MODEL, 'utf8'));
  const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { inputs: Array<Array<number | null>> };
  const cols = ref.inputs[0].length;
  const rows = ref.inputs.map((r) => r.map((v) => v ?? NaN));
  const one = new Float32Array(rows[0]);
  const batch = new Float32Array(Array.from({ length: 256 }, (_, i) => rows[i % rows.length]).flat());
  const ours = { b1: [] as number[], b256: [] as number[], shap256: [] as number[] };
  const theirs = { b1: [] as number[], b256: [] as number[] };
  let xgbVersion = '?';
  for (let i = 0; i < repeats; i++) {
    ours.b1.push(rowsPerSecond(() => predict(model, one, 1, cols), 1, seconds));
    ours.b256.push(rowsPerSecond(() => predict(model, batch, 256, cols), 256, seconds));
    ours.shap256.push(rowsPerSecond(() => predictContributions(model, batch, 256, cols), 256, seconds));
    const out = execFileSync(
      '/usr/bin/python3',
      [join(ROOT, 'bench/tree/xgboost_predict.py'), MODEL, REFERENCE, String(seconds)],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(out) as { batch_1: number; batch_256: number; xgboost: string };
    theirs.b1.push(r.batch_1);
    theirs.b256.push(r.batch_256);
    xgbVersion = r.xgboost;
  }
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const table = [
    `\n## Tree runtime — ${new Date().toISOString().slice(0, 10)}, commit ${commit}${quick ? ' (quick)' : ''}`,
    '',
    `Model: models/breast_cancer_xgb (binary:logistic, 50 trees, depth 4, 30 features). One thread each; median of ${repeats}.`,
    `Peer: XGBoost ${xgbVersion} \`inplace_predict\` (Python, nthread=1), run by the same script.`,
    '',
    '| batch | inferd rows/s | XGBoost rows/s | inferd / XGBoost |',
    '| ---: | ---: | ---: | ---: |',
    `| 1 | ${fmt(median(ours.b1))} | ${fmt(median(theirs.b1))} | ${(median(ours.b1) / median(theirs.b1)).toFixed(1)}× |`,
    `| 256 | ${fmt(median(ours.b256))} | ${fmt(median(theirs.b256))} | ${(median(ours.b256) / median(theirs.b256)).toFixed(2)}× |`,
    '',
    `TreeSHAP (treeshap_output) at batch 256: ${fmt(median(ours.shap256))} rows/s.`,
    '',
  ].join('\n');
  process.stdout.write(table);
  appendFileSync(join(ROOT, 'BENCHMARKS.md'), table);
}

main();

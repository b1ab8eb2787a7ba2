/**
 * A cascade on the reference pair beside each of its models alone: sklearn's breast cancer dataset (569 rows;
 * `test` rows are the 143 neither member trained on: the MLP of models/breast_cancer and the gradient-boosted
 * trees of test/fixtures/cascade/breast_cancer_gbt, trained on the same split), one row per request through the in-process core. Per
 * configuration: accuracy on the test rows and on all rows, share of rows sent to the expensive model, process CPU
 * per prediction (process.cpuUsage around the run) and the cost ledger's cost per 1,000 at the price below.
 * Configurations alternate in rounds; medians of the rounds are reported. The threshold is the one
 * `inferd cascade tune --split test --max-loss 0.5` picks.
 *
 * Usage: npm run bench:cascade [-- --quick] [-- --no-append]
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLabelledCsv } from '../../src/cascade/cascade-dataset.js';
import { predictedClasses } from '../../src/cascade/cascade-runner.js';
import { confidenceRule } from '../../src/cascade/confidence.js';
import { tuneThreshold, type TuneRow } from '../../src/cascade/tune-threshold.js';
import { Inferd } from '../../src/inferd.js';
import { median } from '../stats.js';
import { REPO_ROOT } from '../paths.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const PASSES = quick ? 2 : 6; // passes over the 569 rows per round and configuration
const PRICE_PER_CORE_HOUR = 0.04;
/** The cheaper member first (measured: the trees); `-- --swap` tries the reverse. */
const SWAP = process.argv.includes('--swap');
const CHEAP = SWAP ? 'breast_cancer' : 'breast_cancer_gbt';
const EXPENSIVE = SWAP ? 'breast_cancer_gbt' : 'breast_cancer';

function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cascade-bench-'));
  cpSync(join(REPO_ROOT, 'models', 'breast_cancer'), join(dir, 'breast_cancer'), { recursive: true });
  const gbt = join(REPO_ROOT, 'test', 'fixtures', 'cascade', 'breast_cancer_gbt', '1');
  cpSync(gbt, join(dir, 'breast_cancer_gbt', '1'), { recursive: true });
  return dir;
}

function writeCascade(dir: string, threshold: number): void {
  mkdirSync(join(dir, 'cascade'), { recursive: true });
  writeFileSync(
    join(dir, 'cascade', 'config.yaml'),
    `cascade:\n  cheap: ${CHEAP}\n  expensive: ${EXPENSIVE}\n  rule: { kind: max_probability, output: probabilities, threshold: ${threshold} }\n`,
  );
}

/** Per row: the cheap model's max probability and whether each model alone is right. */
async function scoreRows(dir: string, features: Float32Array[], labels: number[]): Promise<TuneRow[]> {
  const core = await Inferd.create({ modelRepository: dir });
  const rule = confidenceRule({ kind: 'max_probability', output: 'probabilities', threshold: 0 });
  try {
    const out: TuneRow[] = [];
    for (const [i, row] of features.entries()) {
      const one = async (model: string) =>
        (
          await core.service.infer({
            model,
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: row.slice() }],
          })
        ).outputs;
      const cheap = await one(CHEAP);
      const expensive = await one(EXPENSIVE);
      out.push({
        confidence: rule.confidence(cheap, 1)[0],
        cheapCorrect: predictedClasses(cheap, 1)[0] === labels[i],
        expensiveCorrect: predictedClasses(expensive, 1)[0] === labels[i],
      });
    }
    return out;
  } finally {
    await core.stop();
  }
}

/** Accuracy (%) and share sent on of `rows` at threshold `t`. */
function evaluate(rows: readonly TuneRow[], t: number): { accuracy: number; share: number } {
  const right = rows.filter((r) => (r.confidence < t ? r.expensiveCorrect : r.cheapCorrect)).length;
  return { accuracy: (100 * right) / rows.length, share: rows.filter((r) => r.confidence < t).length / rows.length };
}

interface Run {
  readonly accuracyTest: number;
  readonly accuracyAll: number;
  readonly expensiveShare: number;
  readonly cpuUsPerPrediction: number;
}

async function runOnce(
  core: Inferd,
  model: string,
  features: Float32Array[],
  labels: number[],
  test: boolean[],
): Promise<Run> {
  let correctTest = 0;
  let correctAll = 0;
  let expensive = 0;
  const before = process.cpuUsage();
  for (let pass = 0; pass < PASSES; pass++) {
    for (let i = 0; i < features.length; i++) {
      const answer = await core.service.infer({
        model,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: features[i].slice() }],
      });
      if (pass > 0) continue;
      const right = predictedClasses(answer.outputs, 1)[0] === labels[i];
      if (right) correctAll++;
      if (right && test[i]) correctTest++;
      if (answer.parameters?.cascade_path === 'expensive') expensive++;
    }
  }
  const used = process.cpuUsage(before);
  const tests = test.filter(Boolean).length;
  return {
    accuracyTest: (100 * correctTest) / tests,
    accuracyAll: (100 * correctAll) / features.length,
    expensiveShare: expensive / features.length,
    cpuUsPerPrediction: (used.user + used.system) / (PASSES * features.length),
  };
}

async function main(): Promise<void> {
  const file = join(REPO_ROOT, 'test', 'fixtures', 'cascade', 'breast_cancer.csv');
  const all = readLabelledCsv(file, { label: 'label', exclude: [] });
  const testRows = readLabelledCsv(file, { label: 'label', exclude: [], split: 'test' });
  const testSet = new Set(testRows.features.map((f) => f.join(',')));
  const test = all.features.map((f) => testSet.has(f.join(',')));
  const dir = repository();
  // The threshold as `inferd cascade tune --split test --max-loss 0.5` picks it, and a two-fold check on halves.
  const scored = await scoreRows(dir, testRows.features, testRows.labels);
  const THRESHOLD = tuneThreshold(scored, 0.5).threshold;
  const halves = [scored.filter((_, i) => i % 2 === 0), scored.filter((_, i) => i % 2 === 1)];
  const crossed = [0, 1].map((h) => {
    const t = tuneThreshold(halves[h], 0.5).threshold;
    const other = halves[1 - h];
    const alone = (100 * other.filter((r) => r.expensiveCorrect).length) / other.length;
    const e = evaluate(other, t);
    return { t, loss: alone - e.accuracy, share: e.share };
  });
  writeCascade(dir, THRESHOLD);
  const core = await Inferd.create({ modelRepository: dir });
  core.service.cost.pricePerCoreHour = PRICE_PER_CORE_HOUR;
  const configs = [CHEAP, EXPENSIVE, 'cascade'];
  const runs = new Map<string, Run[]>(configs.map((c) => [c, []]));
  const ledger = new Map<string, number[]>(configs.map((c) => [c, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...configs].reverse() : configs;
      for (const c of order) {
        core.service.cost.report(() => true); // settle: the run's interval starts here
        const before = costRows(core);
        runs.get(c)!.push(await runOnce(core, c, all.features, all.labels, test));
        const after = costRows(core);
        ledger
          .get(c)!
          .push(
            costPer1k(before, after, c === 'cascade' ? 'cascade:cascade' : 'library', PASSES * all.features.length),
          );
      }
    }
  } finally {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (c: string, f: (r: Run) => number) => median(runs.get(c)!.map(f));
  const expensiveCost = median(ledger.get(EXPENSIVE)!);
  const lines = [
    `## Cascade: ${CHEAP} → ${EXPENSIVE} on breast cancer (${new Date().toISOString().slice(0, 10)})`,
    '',
    `In-process core, one row per request, ${ROUNDS} rounds × ${PASSES} passes over 569 rows per configuration, ` +
      `configurations alternating; medians of the rounds. Threshold ${THRESHOLD} (max probability of ${CHEAP}), ` +
      `as \`inferd cascade tune --split test --max-loss 0.5\` picks it. Price ${PRICE_PER_CORE_HOUR} per core-hour. ` +
      `${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}. \`npm run bench:cascade\`.`,
    '',
    '| configuration | accuracy, test rows (143) | accuracy, all rows (569) | rows to expensive (all rows) | process CPU µs / prediction | cost per 1,000 (ledger) | vs expensive alone |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...configs.map(
      (c) =>
        `| ${c === 'cascade' ? 'cascade' : `${c} alone`} | ${m(c, (r) => r.accuracyTest).toFixed(2)}% | ${m(c, (r) => r.accuracyAll).toFixed(2)}% | ` +
        `${c === 'cascade' ? `${(100 * m(c, (r) => r.expensiveShare)).toFixed(1)}%` : c === EXPENSIVE ? '100%' : '0%'} | ` +
        `${m(c, (r) => r.cpuUsPerPrediction).toFixed(1)} | ${median(ledger.get(c)!).toExponential(3)} | ${(median(ledger.get(c)!) / expensiveCost).toFixed(2)}× |`,
    ),
    '',
    'Two-fold check of the tuning on the 143 test rows (tuned on one half, applied to the other): ' +
      crossed
        .map(
          (c, h) =>
            `half ${h + 1} → ${2 - h}: threshold ${c.t.toFixed(4)}, ${(100 * c.share).toFixed(1)}% sent on, ${c.loss.toFixed(2)} points lost`,
        )
        .join('; ') +
      '. On so few rows the threshold is noisy: tune on more labelled rows than these in production.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!process.argv.includes('--no-append')) appendFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), `\n${lines.join('\n')}`);
}

type Rows = ReturnType<Inferd['service']['cost']['report']>;

function costRows(core: Inferd): Rows {
  return core.service.cost.report(() => true);
}

/** Cost per 1,000 predictions of the calls made on `path` between two reports. */
function costPer1k(before: Rows, after: Rows, path: string, predictions: number): number {
  const cpu = (rows: Rows) =>
    rows.filter((r) => r.path === path).reduce((n, r) => n + Object.values(r.cpuSeconds).reduce((a, b) => a + b, 0), 0);
  const seconds = cpu(after) - cpu(before);
  return ((seconds / predictions) * 1000 * PRICE_PER_CORE_HOUR) / 3600;
}

await main();

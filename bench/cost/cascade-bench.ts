/**
 * A cascade on the reference pair beside each of its models alone: sklearn's breast cancer dataset (569 rows;
 * `test` rows are the 143 the MLP never trained on), one row per request through the in-process core. Per
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
import { Inferd } from '../../src/inferd.js';
import { median } from '../stats.js';
import { REPO_ROOT } from '../paths.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const PASSES = quick ? 2 : 6; // passes over the 569 rows per round and configuration
const PRICE_PER_CORE_HOUR = 0.04;
const CHEAP = process.env.CASCADE_CHEAP ?? 'breast_cancer';
const EXPENSIVE = process.env.CASCADE_EXPENSIVE ?? 'breast_cancer_xgb';
const THRESHOLD = Number(process.env.CASCADE_THRESHOLD ?? '0.990707278251648');

function repository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inferd-cascade-bench-'));
  for (const m of ['breast_cancer', 'breast_cancer_xgb'])
    cpSync(join(REPO_ROOT, 'models', m), join(dir, m), { recursive: true });
  mkdirSync(join(dir, 'cascade'));
  writeFileSync(
    join(dir, 'cascade', 'config.yaml'),
    `cascade:\n  cheap: ${CHEAP}\n  expensive: ${EXPENSIVE}\n  rule: { kind: max_probability, output: probabilities, threshold: ${THRESHOLD} }\n`,
  );
  return dir;
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
    '| configuration | accuracy, test rows (143) | accuracy, all rows (569) | rows to expensive | process CPU µs / prediction | cost per 1,000 (ledger) | vs expensive alone |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...configs.map(
      (c) =>
        `| ${c === 'cascade' ? 'cascade' : `${c} alone`} | ${m(c, (r) => r.accuracyTest).toFixed(2)}% | ${m(c, (r) => r.accuracyAll).toFixed(2)}% | ` +
        `${c === 'cascade' ? `${(100 * m(c, (r) => r.expensiveShare)).toFixed(1)}%` : c === EXPENSIVE ? '100%' : '0%'} | ` +
        `${m(c, (r) => r.cpuUsPerPrediction).toFixed(1)} | ${median(ledger.get(c)!).toExponential(3)} | ${(median(ledger.get(c)!) / expensiveCost).toFixed(2)}× |`,
    ),
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

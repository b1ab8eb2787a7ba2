/**
 * `inferd cascade tune --cascade C --data FILE.csv`: runs every labelled row through the cascade's cheap and
 * expensive models in process and picks the lowest threshold (the fewest rows sent to the expensive model) whose
 * accuracy is at most --max-loss points below the expensive model's alone. Prints the threshold and the figures.
 */
import { readLabelledCsv } from '../cascade/cascade-dataset.js';
import { predictedClasses } from '../cascade/cascade-runner.js';
import { tuneThreshold, type TuneRow } from '../cascade/tune-threshold.js';
import { Inferd } from '../inferd.js';
import type { Tensor } from '../tensor/index.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut } from './stdout.js';

export const CASCADE_HELP = `Usage: inferd cascade tune --cascade C --data FILE [options]

Picks the threshold of cascade C (a model folder whose config.yaml declares cascade:) from labelled data: the
lowest threshold whose cascade accuracy, and that of every threshold above it, is at most --max-loss points
below the expensive model's alone, so that
the fewest rows go to the expensive model. Only for max_probability and margin rules.

FILE is CSV with a header: a label column (the true class index) and the features in the models' input order.

Options:
  --cascade C              the cascade (required)
  --data FILE              labelled CSV (required)
  --model-repository DIR   the model repository (default: models)
  --label COL              the label column (default: label)
  --exclude COL[,COL]      other columns that are not features
  --split VALUE            only rows whose 'split' column is VALUE (e.g. test)
  --max-loss POINTS        accuracy points the cascade may lose (default: 0.5)
  --batch N                rows per request (default: 32)
  -h, --help               show this help

Example:
  inferd cascade tune --cascade breast_cancer_cascade --data breast_cancer.csv --split test --max-loss 0.5
`;

export async function cascadeCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'tune') throw new UsageError(`unknown cascade command '${sub ?? ''}'; use: inferd cascade tune`);
  const { values } = parseCommandArgs({
    args: rest,
    options: {
      cascade: { type: 'string' },
      data: { type: 'string' },
      'model-repository': { type: 'string', default: 'models' },
      label: { type: 'string', default: 'label' },
      exclude: { type: 'string', multiple: true },
      split: { type: 'string' },
      'max-loss': { type: 'string', default: '0.5' },
      batch: { type: 'string', default: '32' },
    },
  });
  if (!values.cascade || !values.data) throw new UsageError('--cascade and --data are required');
  const maxLoss = Number(values['max-loss']);
  const batch = Number(values.batch);
  if (!(maxLoss >= 0))
    throw new UsageError(`--max-loss must be a number of points from 0, got '${values['max-loss']}'`);
  if (!Number.isInteger(batch) || batch < 1)
    throw new UsageError(`--batch must be a whole number from 1, got '${values.batch}'`);
  const data = readLabelledCsv(values.data, {
    label: values.label,
    exclude: (values.exclude ?? []).flatMap((e) => e.split(',')),
    split: values.split,
  });
  const core = await Inferd.create({ modelRepository: values['model-repository'] });
  try {
    const runner = core.service.cascades.get(values.cascade);
    if (!runner) throw new UsageError(`'${values.cascade}' is not a cascade in ${values['model-repository']}`);
    const rows: TuneRow[] = [];
    for (let at = 0; at < data.features.length; at += batch) {
      const part = data.features.slice(at, at + batch);
      const labels = data.labels.slice(at, at + batch);
      const input = (): Tensor[] => [
        { name: 'input', datatype: 'FP32', shape: [part.length, part[0].length], data: concat(part) },
      ];
      const cheap = await core.service.infer({ model: runner.config.cheap, inputs: input() });
      const expensive = await core.service.infer({ model: runner.config.expensive, inputs: input() });
      const confidence = runner.rule.confidence(cheap.outputs, part.length);
      const cheapClass = predictedClasses(cheap.outputs, part.length);
      const expensiveClass = predictedClasses(expensive.outputs, part.length);
      labels.forEach((label, i) =>
        rows.push({
          confidence: confidence[i],
          cheapCorrect: cheapClass[i] === label,
          expensiveCorrect: expensiveClass[i] === label,
        }),
      );
    }
    const r = tuneThreshold(rows, maxLoss);
    writeOut(
      `${values.cascade}: threshold ${r.threshold} over ${r.rows} rows: ${(100 * r.expensiveShare).toFixed(1)}% to ` +
        `${runner.config.expensive}; accuracy cascade ${r.cascadeAccuracy.toFixed(2)}%, expensive alone ` +
        `${r.expensiveAccuracy.toFixed(2)}%, cheap alone ${r.cheapAccuracy.toFixed(2)}% (${(r.expensiveAccuracy - r.cascadeAccuracy).toFixed(2)} points lost)\n` +
        `${JSON.stringify(r)}\n`,
    );
    return 0;
  } finally {
    await core.stop();
  }
}

function concat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

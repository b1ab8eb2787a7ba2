/**
 * `inferd profile --model M --version V --data train.csv`: runs training rows through the model in process and
 * writes the version's baseline profile (per-feature reference distributions and the prediction distribution)
 * to `<repository>/<model>/<version>/profile.json`, where the drift monitor reads it. Progress on stderr, a
 * summary on stdout.
 */
import { existsSync } from 'node:fs';
import {
  configFromEnv,
  readConfigFile,
  readFeaturesConfig,
  resolveServerConfig,
  type FeaturesConfig,
} from '../config/index.js';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { Inferd } from '../inferd.js';
import { buildProfile } from '../drift/profile-build.js';
import { profileTarget } from '../drift/profile-columns.js';
import { readRows } from '../drift/profile-data.js';
import { profilePath, writeProfile } from '../drift/profile-store.js';
import type { Profile } from '../drift/profile.js';
import { createLogger } from '../telemetry/logger.js';
import { ProgressBar } from './progress-bar.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut } from './stdout.js';
import { versionLabel } from '../config/version-label.js';

export const PROFILE_HELP = `Usage: inferd profile --model M --version V --data FILE [options]

Computes a model version's baseline profile from its training data: for each input feature, quantile bins
(numeric) or category frequencies (categorical: integer features with at most 10 distinct values, or those named
with --categorical) and the missing-value rate; and the distribution of the model's predictions on the same rows.
The drift monitor (drift: in the model's config.yaml) compares live traffic with it.

The model must take one FP32 input [-1, N]. FILE is CSV with a header, or JSONL (.jsonl/.ndjson: one object or
array per line). When the model names its features (parameters.feature_names), those columns are read by name and
other columns are ignored; otherwise every column not excluded is a feature, in order, and there must be N.
Empty cells, NA, NaN and null are missing values.

Options:
  --model M                the model (required)
  --version V              the version (required; it must be one the model's version_policy loads)
  --data FILE              training data, CSV or JSONL (required)
  --model-repository DIR   the model repository (default: models)
  --out FILE               where to write the profile (default: <repository>/<model>/<version>/profile.json)
  --exclude COL[,COL]      columns that are not features (e.g. the label); may be repeated
  --categorical F[,F]      features to profile as categorical; may be repeated
  --force                  replace an existing profile
  --config FILE            server config file (YAML or JSON), for model_repository
  -h, --help               show this help

Example:
  inferd profile --model digits --version 1 --data data/digits_train.csv --exclude label
`;

const list = (values: readonly string[] | undefined) =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

function summary(p: Profile, out: string, seconds: number): string {
  const categorical = p.features.filter((f) => f.kind === 'categorical').length;
  return (
    `${p.model} v${p.version}: profile of ${p.rows.toLocaleString('en')} rows (${p.features.length} features: ${p.features.length - categorical} numeric, ${categorical} categorical; ` +
    `${p.predictions.length} prediction${p.predictions.length === 1 ? '' : 's'}: ${p.predictions.map((f) => f.name).join(', ')}) written to ${out} in ${seconds.toFixed(1)} s\n`
  );
}

interface ProfileJob {
  readonly repository: string;
  /** Feature views, for a feature-backed model (its config is checked against them at its first request). */
  readonly features?: FeaturesConfig | undefined;
  readonly model: string;
  readonly version: string;
  readonly data: string;
  readonly out: string;
  readonly exclude: string[];
  readonly categorical: string[];
}

async function profile(o: ProfileJob): Promise<number> {
  const inferd = await Inferd.create({
    modelRepository: o.repository,
    features: o.features,
    modelControlMode: 'explicit',
    loadModels: [o.model],
    logger: createLogger('warn', process.stderr),
  });
  try {
    const entry = inferd.service
      .index()
      .find((e) => e.name === o.model && e.version !== undefined && versionLabel(e.version) === o.version);
    if (entry?.state !== 'READY') {
      const known = inferd.service
        .index()
        .filter((e) => e.name === o.model)
        .map((e) => `${e.version ? `v${e.version} ` : ''}${e.state}${e.reason ? ` (${e.reason})` : ''}`);
      throw new NotFoundError(
        `model '${o.model}' version ${o.version} is not loaded from ${o.repository}: ${known.join('; ') || 'no such model'}`,
      );
    }
    const config = inferd.service.config(o.model, o.version);
    const target = profileTarget(config);
    const bar = new ProgressBar(`profile ${o.model} v${o.version}`);
    const started = performance.now();
    const result = await buildProfile({
      model: o.model,
      version: o.version,
      source: o.data,
      target,
      outputs: config.outputs,
      categorical: o.categorical,
      batches: readRows(o.data, { target, batchRows: Math.min(config.maxBatchSize, 256), exclude: o.exclude }),
      predict: async (data, rows) =>
        (
          await inferd.infer({
            model: o.model,
            version: o.version,
            inputs: [{ name: target.input, datatype: 'FP32', shape: [rows, target.columns], data }],
          })
        ).outputs,
      onProgress: (p) =>
        bar.update({ done: p.bytesRead, total: p.totalBytes, detail: `${p.rows.toLocaleString('en')} rows` }),
    });
    bar.finish();
    await writeProfile(o.out, result);
    writeOut(summary(result, o.out, (performance.now() - started) / 1000));
    return 0;
  } finally {
    await inferd.stop();
  }
}

/** `inferd profile ...`. Resolves with the exit code. */
export async function profileCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      data: { type: 'string' },
      'model-repository': { type: 'string' },
      out: { type: 'string' },
      exclude: { type: 'string', multiple: true },
      categorical: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeOut(PROFILE_HELP);
    return 0;
  }
  const { model, version, data } = values;
  if (!model || !version || !data) throw new UsageError('--model, --version and --data are required');
  if (!/^[1-9]\d*$/.test(version))
    throw new UsageError(`--version must be a version number such as 1, got '${version}'`);
  if (!existsSync(data)) throw new InvalidArgumentError(`--data ${data}: no such file`);
  const fileConfig = values.config ? readConfigFile(values.config) : undefined;
  const server = resolveServerConfig(fileConfig, configFromEnv(), { model_repository: values['model-repository'] });
  const repository = server.modelRepository;
  const features =
    server.featuresConfig === undefined
      ? undefined
      : readFeaturesConfig(server.featuresConfig, server.redisUrl, server.stateDir.path);
  const out = values.out ?? profilePath(repository, model, version);
  if (existsSync(out) && !values.force)
    throw new InvalidArgumentError(`${out} exists; pass --force to replace it, or --out FILE to write elsewhere`);
  return profile({
    repository,
    features,
    model,
    version,
    data,
    out,
    exclude: list(values.exclude),
    categorical: list(values.categorical),
  });
}

/**
 * `inferd features ingest --view V file.csv`: loads a CSV into a feature view's store (the store features.yaml
 * names for the view), in batches, with a progress bar on stderr and a summary on stdout. The same rules as
 * POST /v1/features/{view}: a header of entity columns, event_time (or event_time_ms) and features; rows older
 * than what the store holds are skipped.
 */
import {
  configFromEnv,
  readConfigFile,
  readFeaturesConfig,
  resolveServerConfig,
  type FeaturesConfig,
} from '../config/index.js';
import { ConfigError, InvalidArgumentError } from '../errors/index.js';
import { FeatureService, type IngestProgress } from '../features/feature-service.js';
import { createLogger } from '../telemetry/logger.js';
import { createFeatureMetrics } from '../telemetry/metrics.js';
import { ProgressBar } from './progress-bar.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut } from './stdout.js';

export const FEATURES_HELP = `Usage: inferd features ingest --view VIEW [options] FILE.csv

Loads a CSV file into a feature view's store. The header names the view's entity columns, event_time (ISO 8601,
e.g. 2026-11-01T12:00:00Z) or event_time_ms, and feature columns; empty cells are missing values. A row older
than the one the store holds for its entity is skipped.

Options:
  --view VIEW              the feature view (required)
  --features-config FILE   the features config (default: features.yaml in the model repository)
  --model-repository DIR   where to look for features.yaml (default: models)
  --config FILE            server config file (YAML or JSON), for features_config and redis_url
  --redis-url URL          Redis for redis/feast stores that name no url (default: redis://127.0.0.1:6379)
  -h, --help               show this help

Example:
  inferd features ingest --view user_profile models/fraud_xgb/data/synthetic_user_features.csv
`;

function onlyView(config: FeaturesConfig, view: string): FeaturesConfig {
  const v = config.views[view];
  if (!v)
    throw new InvalidArgumentError(
      `unknown feature view '${view}'; ${config.source} declares: ${Object.keys(config.views).join(', ') || 'none'}`,
    );
  return { ...config, stores: { [v.store]: config.stores[v.store] }, views: { [view]: v } };
}

function detail(p: IngestProgress): string {
  return `${p.rows.toLocaleString('en')} rows (${p.written.toLocaleString('en')} written, ${p.skippedOlder.toLocaleString('en')} older skipped)`;
}

async function ingest(view: string, file: string, features: FeaturesConfig): Promise<number> {
  const service = new FeatureService({
    config: onlyView(features, view),
    logger: createLogger('warn', process.stderr),
    metrics: createFeatureMetrics(),
  });
  await service.start();
  const bar = new ProgressBar(`ingest ${view}`);
  const started = performance.now();
  try {
    const done = await service.ingestCsv(view, file, (p) =>
      bar.update({ done: p.bytesRead, total: p.totalBytes, detail: detail(p) }),
    );
    bar.finish();
    const seconds = (performance.now() - started) / 1000;
    writeOut(`${view}: ${detail(done)} from ${file} in ${seconds.toFixed(1)} s\n`);
    return 0;
  } finally {
    await service.stop();
  }
}

/** `inferd features ...`. Resolves with the exit code. */
export async function featuresCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      view: { type: 'string' },
      'features-config': { type: 'string' },
      'model-repository': { type: 'string' },
      config: { type: 'string' },
      'redis-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, file, ...extra] = positionals;
  if (values.help) {
    writeOut(FEATURES_HELP);
    return 0;
  }
  if (sub === undefined) throw new UsageError(`give a subcommand: inferd features ingest --view VIEW FILE.csv`);
  if (sub !== 'ingest')
    throw new UsageError(`unknown subcommand 'features ${sub}'; use 'inferd features ingest --view VIEW FILE.csv'`);
  if (!values.view || !file || extra.length)
    throw new UsageError(`'features ingest' needs --view VIEW and one FILE.csv`);
  const fileConfig = values.config ? readConfigFile(values.config) : undefined;
  const flags = {
    features_config: values['features-config'],
    model_repository: values['model-repository'],
    redis_url: values['redis-url'],
  };
  const server = resolveServerConfig(fileConfig, configFromEnv(), flags);
  if (!server.featuresConfig)
    throw new ConfigError(
      `no features config: pass --features-config FILE, or put features.yaml in the model repository (${server.modelRepository})`,
    );
  return ingest(values.view, file, readFeaturesConfig(server.featuresConfig, server.redisUrl, server.stateDir.path));
}

/**
 * `inferd replay --model M [--version V] --since 1h [--rate N] [--url URL] [--limit N] [--json]`: sends a model's
 * logged inputs (from the prediction log of the server config's `audit:` block) again, to a version loaded in this
 * process or to another server, rate-limited, and reports agreement with the logged answers, output differences,
 * latency and the predictions that differ most. Progress on stderr; the report on stdout.
 */
import type { StoredTensor } from '../audit/audit-record.js';
import {
  configFromEnv,
  readConfigFile,
  readFeaturesConfig,
  resolveServerConfig,
  type ServerConfig,
} from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { Inferd } from '../inferd.js';
import { parseSinceMs } from '../lib/duration.js';
import { decodeInferRequest, encodeInferResponse } from '../protocol/v2-json.js';
import { createFeedbackStore } from '../quality/feedback-store-create.js';
import type { FeedbackStore } from '../quality/feedback-store.js';
import { runReplay, type ReplayReport, type ReplayTarget } from '../quality/replay-runner.js';
import { createLogger } from '../telemetry/logger.js';
import { ProgressBar } from './progress-bar.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { readTlsMaterial } from './http-request.js';
import { httpReplayTarget } from './replay-http-target.js';
import { writeOut } from './stdout.js';

export const REPLAY_HELP = `Usage: inferd replay --config FILE --model M --since 1h [options]

Sends a model's logged inputs (the prediction log named by the server config's audit: block) again, to a version
loaded in this process (default) or to another server (--url), one at a time and rate-limited, and compares each
answer with the logged one: agreement (same label, or arg-max, for classifiers), mean absolute difference
(regression), per-output differences, latency, and the predictions that differ most.

Options:
  --model M                the model whose logged predictions are replayed (required)
  --since T                how far back: a duration (30m, 1h, 7d) or an ISO 8601 time (required)
  --version V              the version to replay against (default: the highest ready one, or the server's choice)
  --url URL                replay against another server over HTTP instead of in this process
  --token TOKEN            with --url: sent as Authorization: Bearer TOKEN
  --cacert FILE            with an https:// --url: PEM certificate(s) of the CA that signed the server's certificate
  --cert FILE, --key FILE  with an https:// --url: PEM client certificate and its key (mutual TLS)
  --rate N                 requests per second at most (default: 50)
  --limit N                most predictions replayed, oldest first (default: 1000)
  --top N                  how many of the most different predictions to list (default: 10)
  --json                   print the report as JSON
  --config FILE            server config file (YAML or JSON) whose audit: block names the prediction log
                           (required); also model_repository and features
  --model-repository DIR   the models loaded in process (default: models)
  -h, --help               show this help

Example:
  inferd replay --config inferd.yaml --model digits --version 2 --since 1h --rate 20
`;

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got '${text}'`);
  return n;
}

/** --since as ms since the epoch. */
export function sinceFlag(text: string | undefined): number {
  if (text === undefined)
    throw new UsageError('--since is required: a duration back from now (1h, 7d) or an ISO 8601 time');
  const ms = parseSinceMs(text, Date.now());
  if (ms === undefined)
    throw new UsageError(
      `--since '${text}' is neither a duration (30m, 1h, 7d) nor an ISO 8601 time (2026-01-31T12:00:00Z)`,
    );
  return ms;
}

/**
 * The server config the log-reading commands use: --config (required: only the config file names the prediction
 * log), INFERD_* variables, --model-repository.
 */
export function commandServerConfig(file: string | undefined, modelRepository?: string): ServerConfig {
  if (file === undefined)
    throw new UsageError(
      '--config FILE is required: the server config file whose audit: block names the prediction log (audit.path or audit.url)',
    );
  return resolveServerConfig(readConfigFile(file), configFromEnv(), { model_repository: modelRepository });
}

/** The prediction log the config names, open for reading; a log that is not there is a ConfigError saying where it looked. */
export async function openPredictionLog(config: ServerConfig): Promise<FeedbackStore> {
  const store = createFeedbackStore(config.audit, { mustExist: true });
  try {
    await store.start();
  } catch (err) {
    throw new ConfigError((err as Error).message, { cause: err });
  }
  return store;
}

/** The model loaded in this process, as a replay target. */
async function inProcessTarget(
  config: ServerConfig,
  model: string,
  version: string | undefined,
): Promise<{ target: ReplayTarget; stop(): Promise<void> }> {
  const features =
    config.featuresConfig === undefined
      ? undefined
      : readFeaturesConfig(config.featuresConfig, config.redisUrl, config.stateDir.path);
  const inferd = await Inferd.create({
    modelRepository: config.modelRepository,
    modelControlMode: 'explicit',
    loadModels: [model],
    features,
    logger: createLogger('warn', process.stderr),
    integrity: config.integrity,
    trustedKeys: config.trustedKeys,
  });
  const target: ReplayTarget = {
    description: `${version ? `version ${version}` : 'the highest ready version'} of ${config.modelRepository}/${model}, in process`,
    async infer(name, request) {
      const response = await inferd.service.infer(decodeInferRequest(request, name, version));
      return (JSON.parse(encodeInferResponse(response)) as { outputs: StoredTensor[] }).outputs;
    },
  };
  return { target, stop: () => inferd.stop() };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null, digits = 4) => (x === null ? 'n/a' : x.toFixed(digits));

/** The report as text. */
export function formatReplayReport(r: ReplayReport): string {
  const lines = [
    `replayed ${r.compared} of ${r.selected} logged ${r.model} predictions since ${new Date(r.sinceMs).toISOString()} against ${r.target}`,
  ];
  if (r.kind === 'classification')
    lines.push(`agreement: ${pct(r.agreement)} (${r.agreeingRows} of ${r.rows} rows with the same label)`);
  if (r.kind === 'regression') lines.push(`mean absolute difference: ${num(r.meanAbsDiff)} over ${r.rows} rows`);
  for (const [name, o] of Object.entries(r.outputs))
    lines.push(`  output ${name}: mean |diff| ${num(o.meanAbsDiff)}, max |diff| ${num(o.maxAbsDiff)}`);
  lines.push(
    `latency: p50 ${num(r.latencyMs.p50, 2)} ms, p95 ${num(r.latencyMs.p95, 2)} ms, p99 ${num(r.latencyMs.p99, 2)} ms (${(r.elapsedMs / 1000).toFixed(1)} s in all)`,
  );
  for (const [reason, n] of Object.entries(r.skipped)) lines.push(`skipped ${n}: ${reason}`);
  if (r.failed) lines.push(`failed ${r.failed}: ${r.errors.map((e) => `${e.requestId}: ${e.error}`).join('; ')}`);
  if (r.mostDifferent.length) {
    lines.push('predictions that differ most (request id: logged -> replayed, max |diff|):');
    for (const c of r.mostDifferent)
      lines.push(`  ${c.requestId}: ${c.logged.join(',')} -> ${c.replayed.join(',')}, ${num(c.maxAbsDiff)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The report as JSON (snake_case). */
export function replayReportJson(r: ReplayReport) {
  return {
    model: r.model,
    since: new Date(r.sinceMs).toISOString(),
    target: r.target,
    selected: r.selected,
    compared: r.compared,
    skipped: r.skipped,
    failed: r.failed,
    errors: r.errors.map((e) => ({ request_id: e.requestId, error: e.error })),
    kind: r.kind,
    rows: r.rows,
    agreeing_rows: r.agreeingRows,
    agreement: r.agreement,
    mean_abs_diff: r.meanAbsDiff,
    outputs: Object.fromEntries(
      Object.entries(r.outputs).map(([k, o]) => [k, { mean_abs_diff: o.meanAbsDiff, max_abs_diff: o.maxAbsDiff }]),
    ),
    latency_ms: r.latencyMs,
    elapsed_ms: r.elapsedMs,
    most_different: r.mostDifferent.map((c) => ({
      request_id: c.requestId,
      logged: c.logged,
      replayed: c.replayed,
      agreeing_rows: c.agreeingRows,
      rows: c.rows,
      max_abs_diff: c.maxAbsDiff,
    })),
  };
}

/** `inferd replay ...`. Resolves with the exit code. */
export async function replayCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      model: { type: 'string' },
      version: { type: 'string' },
      since: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      cacert: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      rate: { type: 'string' },
      limit: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      'model-repository': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeOut(REPLAY_HELP);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required: the model whose logged predictions are replayed');
  const sinceMs = sinceFlag(values.since);
  const config = commandServerConfig(values.config, values['model-repository']);
  if (!values.url && (values.cacert || values.cert || values.key))
    throw new UsageError('--cacert, --cert and --key go with --url (an https:// server to replay against)');
  const tls = readTlsMaterial({ cacert: values.cacert, cert: values.cert, key: values.key });
  const store = await openPredictionLog(config);
  const local = values.url
    ? undefined
    : await inProcessTarget(config, values.model, values.version).catch(async (err: unknown) => {
        await store.stop();
        throw err;
      });
  const target =
    local?.target ?? httpReplayTarget({ baseUrl: values.url!, version: values.version, token: values.token, tls });
  const bar = new ProgressBar(`replay ${values.model}`);
  try {
    const report = await runReplay({
      store,
      target,
      model: values.model,
      sinceMs,
      limit: positiveInt(values.limit, '--limit', 1000),
      ratePerSecond: positiveInt(values.rate, '--rate', 50),
      top: positiveInt(values.top, '--top', 10),
      onProgress: (done, total) => bar.update({ done, total, detail: `${done} of ${total} predictions` }),
    });
    bar.finish();
    writeOut(values.json ? `${JSON.stringify(replayReportJson(report), null, 2)}\n` : formatReplayReport(report));
    return 0;
  } finally {
    await local?.stop();
    await store.stop();
  }
}

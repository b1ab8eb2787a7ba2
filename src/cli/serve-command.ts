import {
  configFromEnv,
  isLoopback,
  readConfigFile,
  resolveServerConfig,
  type ServerConfigFile,
} from '../config/index.js';
import { startServer } from '../main.js';
import { createLogger } from '../telemetry/logger.js';
import { installProcessGuard } from './process-guard.js';
import { definedOnly } from '../lib/objects.js';
import { markStartupPhase } from '../lib/startup-phases.js';
import { parseCommandArgs } from './command-args.js';
import { writeOut } from './stdout.js';

export const SERVE_HELP = `Usage: inferd serve [options]

Serves the models in a model repository over the Open Inference Protocol (V2) on HTTP and gRPC.

Options:
  --model-repository DIR   folder of <model>/<version>/ trees (default: models); inferd never writes into it;
                           or s3://bucket/prefix, pulled into a cache (README "Models from an artefact store");
                           repeat it to serve several repositories
  --state-dir DIR          where inferd keeps its own files: rollout store, SQLite prediction log
                           (default: $XDG_STATE_HOME/inferd/<repository>, i.e. ~/.local/state/inferd/<repository>)
  --host ADDRESS           address to bind (default: 127.0.0.1; any other address exposes the server)
  --http-port PORT         HTTP port (default: 8000; 0 picks a free port)
  --grpc-port PORT         gRPC port (default: 8001; -1 turns it off)
  --metrics-port PORT      Prometheus /metrics port (default: 8002; -1 turns it off)
  --config FILE            server config file (YAML or JSON); flags override it
  --model-control-mode M   none: load every model at start (default); explicit: load and unload on request
                           (POST /v2/repository/models/{m}/load); poll: follow the repository's changes
  --load-model NAME        explicit mode: load this model at start (repeatable; '*' loads all)
  --allow-empty-repository explicit or poll mode: start even if the repository has no model folders yet
                           (without it, a missing or empty repository stops the start)
  --repository-poll-secs N poll mode: seconds between repository scans (default: 15)
  --log-level LEVEL        fatal | error | warn | info | debug | trace | silent (default: info)
  --strict-readiness BOOL  ready only when every model is ready (default: true)
  --integrity MODE         off | checksum | signed: what a model and its versions must prove before they load (default: off)
  --trusted-key FILE       ed25519 public key (PEM) trusted for signed manifests (repeatable)
  --insecure               allow serving a non-loopback address without authentication (auth.enabled false)
  --tls-cert FILE          PEM certificate: serve HTTPS and gRPC over TLS (with --tls-key; re-read when it changes)
  --tls-key FILE           PEM private key of --tls-cert
  --tls-ca FILE            PEM CA that signs client certificates (needed by --tls-client-auth request|require)
  --tls-client-auth MODE   none (default) | request | require (mutual TLS: clients without a signed certificate are refused)
  -h, --help               show this help

Environment: INFERD_HOST, INFERD_HTTP_PORT, INFERD_GRPC_PORT, INFERD_METRICS_PORT, INFERD_MODEL_REPOSITORY, INFERD_STATE_DIR,
INFERD_MODEL_CONTROL_MODE, INFERD_ALLOW_EMPTY_REPOSITORY,
INFERD_BODY_LIMIT_BYTES, INFERD_LOG_LEVEL, INFERD_STRICT_READINESS, INFERD_SHUTDOWN_TIMEOUT_MS, INFERD_SHUTDOWN_DELAY_MS
(flags win over them).
`;

/** A repeated --model-repository: the first is model_repository, the others model_repositories (Triton's way). */
function repositoryFlags(given: readonly string[] | undefined): Partial<ServerConfigFile> {
  if (!given?.length) return {};
  return { model_repository: given[0], ...(given.length > 1 ? { model_repositories: given.slice(1) } : {}) };
}

function flagsToConfig(values: Record<string, string | boolean | string[] | undefined>): Partial<ServerConfigFile> {
  const port = values['http-port'];
  const strict = values['strict-readiness'];
  const metrics = values['metrics-port'];
  const grpc = values['grpc-port'];
  return {
    host: values.host as string | undefined,
    http_port: port === undefined ? undefined : Number(port),
    metrics_port: metrics === undefined ? undefined : Number(metrics),
    grpc_port: grpc === undefined ? undefined : Number(grpc),
    ...repositoryFlags(values['model-repository'] as string[] | undefined),
    state_dir: values['state-dir'] as string | undefined,
    log_level: values['log-level'] as ServerConfigFile['log_level'],
    strict_readiness: strict === undefined ? undefined : strict === 'true',
    model_control_mode: values['model-control-mode'] as ServerConfigFile['model_control_mode'],
    load_models: values['load-model'] as string[] | undefined,
    allow_empty_repository: values['allow-empty-repository'] === true ? true : undefined,
    repository_poll_secs:
      values['repository-poll-secs'] === undefined ? undefined : Number(values['repository-poll-secs']),
    integrity: values.integrity as ServerConfigFile['integrity'],
    trusted_keys: values['trusted-key'] as string[] | undefined,
    insecure: values.insecure === true ? true : undefined,
  };
}

/** The --tls-* flags over the config file's `tls:` section (each flag replaces one setting, not the section). */
function tlsFlags(
  values: Record<string, string | boolean | string[] | undefined>,
  fromFile: ServerConfigFile['tls'],
): ServerConfigFile['tls'] {
  const flags = definedOnly({
    cert_file: values['tls-cert'] as string | undefined,
    key_file: values['tls-key'] as string | undefined,
    ca_file: values['tls-ca'] as string | undefined,
    client_auth: values['tls-client-auth'] as 'none' | 'request' | 'require' | undefined,
  });
  if (Object.keys(flags).length === 0) return undefined;
  // Partial until validated: a missing cert_file or key_file is reported by the schema.
  return { ...fromFile, ...flags } as ServerConfigFile['tls'];
}

/** `inferd serve`: starts the server and stops it gracefully on SIGTERM/SIGINT. Resolves with the exit code. */
export async function serveCommand(args: string[]): Promise<number> {
  markStartupPhase('code');
  const { values } = parseCommandArgs({
    args,
    options: {
      'model-repository': { type: 'string', multiple: true },
      'state-dir': { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'metrics-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      config: { type: 'string' },
      'model-control-mode': { type: 'string' },
      'load-model': { type: 'string', multiple: true },
      'allow-empty-repository': { type: 'boolean' },
      'repository-poll-secs': { type: 'string' },
      'log-level': { type: 'string' },
      'strict-readiness': { type: 'string' },
      integrity: { type: 'string' },
      'trusted-key': { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-client-auth': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeOut(SERVE_HELP);
    return 0;
  }
  const file = values.config ? readConfigFile(values.config) : undefined;
  const config = resolveServerConfig(file, configFromEnv(), {
    ...flagsToConfig(values),
    tls: tlsFlags(values, file?.tls),
  });
  markStartupPhase('config');
  const logger = createLogger(config.logLevel, { format: config.logFormat });
  // Errors nothing caught are logged and counted (process-guard.ts). Before the server runs there is nothing to
  // drain, so an uncaught exception exits 1 at once; afterwards it stops the server gracefully first.
  let onFatal: () => void = () => setImmediate(() => process.exit(1));
  installProcessGuard(logger, () => onFatal());
  if (!isLoopback(config.host)) {
    logger.warn({ host: config.host }, `binding ${config.host}: inferd is reachable from other machines`);
  }
  // SIGHUP's default action ends the process. The API keys file and TLS files add their own reload listeners
  // when configured; this one makes sure a hang-up never kills a server that has nothing to reload. Installed
  // before the start, so a hang-up sent as soon as "inferd listening" is logged does not end it either.
  process.on('SIGHUP', () =>
    logger.info(
      {
        signal: 'SIGHUP',
        api_keys: config.auth.apiKeysFile !== undefined && config.auth.enabled,
        tls: config.tls !== undefined,
      },
      'SIGHUP: re-reading the API keys and TLS files where configured; nothing else is reloaded',
    ),
  );
  const server = await startServer(config, logger);
  return new Promise<number>((resolve) => {
    let exitCode = 0;
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      const deadline = setTimeout(() => {
        logger.error(
          { timeout_ms: config.shutdownTimeoutMs },
          'shutdown deadline passed; exiting with requests unfinished',
        );
        resolve(1);
      }, config.shutdownTimeoutMs);
      deadline.unref();
      server.close({ delayMs: config.shutdownDelayMs }).then(
        () => resolve(exitCode),
        (err: unknown) => {
          logger.error({ err }, 'error while shutting down');
          resolve(1);
        },
      );
    };
    onFatal = () => {
      exitCode = 1;
      stop('uncaughtException');
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

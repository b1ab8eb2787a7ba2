/**
 * The server's configuration: one validated schema. Values come from, in rising precedence: defaults, a config
 * file (`--config FILE`, YAML or JSON), `INFERD_*` environment variables, then command-line flags.
 * This folder is the only reader of process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { definedOnly } from '../lib/objects.js';
import { auditConfigSchema, toAuditConfig, type AuditConfig } from './audit-config.js';
import { qualityConfigSchema, toQualityConfig, type QualityConfig } from './quality-config.js';
import { uiConfigSchema, toUiConfig, type UiConfig } from './ui-config.js';
import { rolloutStoreConfigSchema, stateConfigSchema, toStateConfig, type StateConfig } from './state-config.js';
import {
  authConfigSchema,
  limitsConfigSchema,
  toAuthConfig,
  toInputLimits,
  type AuthConfig,
  type InputLimits,
} from './auth-config.js';
import { rateStoreConfigFields, toRateStoreConfig, type RateStoreConfig } from './rate-store-config.js';
import { tlsConfigSchema, toTlsConfig, type TlsConfig } from './tls-config.js';
import { MODEL_NAME_PATTERN } from './model-names.js';
import { connectionConfigSchema, toConnectionConfig, type ConnectionConfig } from './connection-config.js';
import { resolveStateDir, type StateDir } from './state-dir.js';
import {
  serverInlineExecutionSchema,
  toInlineExecutionDefaults,
  type InlineExecutionDefaults,
} from './inline-config.js';
import {
  artifactStoreConfigSchema,
  isStoreUrl,
  parseStoreUrl,
  toArtifactStoreConfig,
  type ArtifactStoreConfig,
} from './artifact-store-config.js';
import { processesSchema, resolveProcesses } from './processes-config.js';
import { PARSE_ONCE } from './parse-once.js';

/** `load_models` entries (`--load-model`): a model folder's name, or '*'. */
const LOAD_MODEL_PATTERN = new RegExp(`^(\\*|${MODEL_NAME_PATTERN.source.slice(1, -1)})$`);

export const serverConfigSchema = z.strictObject({
  /** Address to bind. Loopback by default; any other address is an explicit choice. */
  host: z.string().min(1).default('127.0.0.1'),
  http_port: z.number().int().min(0).max(65535).default(8000),
  /** Prometheus /metrics port; -1 turns it off. Defaults to 8002, or to a free port when http_port is 0. */
  metrics_port: z.number().int().min(-1).max(65535).optional(),
  /** gRPC port; -1 turns it off. Defaults to 8001, or to a free port when http_port is 0. */
  grpc_port: z.number().int().min(-1).max(65535).optional(),
  model_repository: z.string().min(1).default('models'),
  /** More repositories served beside model_repository (Triton's repeated --model-repository); a model name in one only. */
  model_repositories: z.array(z.string().min(1)).default([]),
  /** How `s3://` repositories are reached and pulled (artifact-store-config.ts; README "Models from an artefact store"). */
  artifact_store: artifactStoreConfigSchema.prefault({}),
  /**
   * Where inferd keeps what it writes (rollout store, SQLite prediction log): never the model repository.
   * Default: $XDG_STATE_HOME/inferd/<repository> (~/.local/state/inferd/<repository>); see state-dir.ts.
   */
  state_dir: z.string().min(1).optional(),
  /** Triton's model control: none (load all at start), explicit (load on request), poll (follow the repository). */
  model_control_mode: z.enum(['none', 'explicit', 'poll']).default('none'),
  /** Explicit and poll modes: start with a repository that has no model folders yet (else the start fails). */
  allow_empty_repository: z.boolean().default(false),
  /** Models to load at start in explicit mode ('*' for all). */
  load_models: z
    .array(
      z
        .string()
        .regex(
          LOAD_MODEL_PATTERN,
          "a model name (letters, digits, '_', '-' and '.', starting with a letter or digit) or '*' for every model",
        ),
    )
    .default([]),
  /** How often poll mode rescans the repository. */
  repository_poll_secs: z.number().positive().default(15),
  /** Largest request body accepted, in bytes; larger bodies get 413. */
  body_limit_bytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Ready only when every model is ready (Triton's --strict-readiness); false: ready once loading finished. */
  strict_readiness: z.boolean().default(true),
  /** On SIGTERM, how long in-flight requests may take before the process exits anyway. */
  shutdown_timeout_ms: z.number().int().min(0).default(30_000),
  /** Price of one CPU-second, turned into inferd_cost_per_1k_inferences (0: cost is reported as 0). */
  cost_per_cpu_second: z.number().min(0).default(0),
  /** Price of one core-hour, for the cost per request by stage (docs/cost.md); absent: cost_per_cpu_second × 3600. */
  cost_per_core_hour: z.number().min(0).optional(),
  /** One log line per request: none, errors (failed requests; the default) or all. */
  log_requests: z.enum(['none', 'errors', 'all']).default('errors'),
  /** json: one JSON object per line; pretty: for people; auto (default): pretty when stdout is a terminal. */
  log_format: z.enum(['json', 'pretty', 'auto']).default('auto'),
  /** OpenTelemetry tracing; off unless an OTLP/HTTP endpoint is set. */
  tracing: z
    .strictObject({
      otlp_endpoint: z.string().url().optional(),
      sample_ratio: z.number().min(0).max(1).default(0.01),
      slow_ms: z.number().min(0).default(500),
      /** The spans' resource `service.name`; OTEL_SERVICE_NAME overrides it. */
      service_name: z.string().min(1).default('inferd'),
      /** More resource attributes (e.g. deployment.environment); OTEL_RESOURCE_ATTRIBUTES adds to them. */
      resource_attributes: z.record(z.string().min(1), z.string()).optional(),
    })
    .default({ sample_ratio: 0.01, slow_ms: 500, service_name: 'inferd' }),
  /** Front-end processes sharing the ports (processes-config.ts): a number or 'auto' (one per core). */
  processes: processesSchema,
  /** On SIGTERM, how long to keep serving (readiness already false) before the listener closes. */
  shutdown_delay_ms: z.number().int().min(0).default(500),
  /** Feature views and stores (YAML). Default: `features.yaml` in the model repository, when it exists. */
  features_config: z.string().min(1).optional(),
  /** Redis for `redis` and `feast` feature stores that name no `url`. */
  redis_url: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** The prediction log (audit-config.ts; README "Audit trail"). Off by default. */
  audit: auditConfigSchema.prefault({}),
  /** Live quality from feedback labels (quality-config.ts; README "Feedback and live quality"); needs the audit trail. */
  quality: qualityConfigSchema.prefault({}),
  /** The live dashboard on the HTTP port (ui-config.ts; README "Dashboard"). */
  ui: uiConfigSchema.prefault({}),
  /** Where rollouts, traffic policies and events are kept, shared by replicas on PostgreSQL (state-config.ts; README "Running several replicas"). */
  state: stateConfigSchema.optional(),
  /** The older name of `state:` (store sqlite or memory, path); may not be set together with it. */
  rollouts: rolloutStoreConfigSchema.optional(),
  /** Artifact integrity: off, checksum (a sha256 manifest in each version folder), signed (manifest + ed25519 signature). */
  integrity: z.enum(['off', 'checksum', 'signed']).default('off'),
  /** Public keys (PEM files) whose manifest signatures are trusted under `integrity: signed`. */
  trusted_keys: z.array(z.string().min(1)).default([]),
  /** HTTP header whose value, hashed, keeps one caller on one version (copied to the `routing_key` parameter). */
  routing_key_header: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9-]+$/)
    .default('x-routing-key'),
  /** Authentication, scopes and rate limits (auth-config.ts; README "Security"). Off by default: loopback only. */
  auth: authConfigSchema.prefault({}),
  /** Serve without auth on a non-loopback address (flag --insecure). */
  insecure: z.boolean().default(false),
  /** Input hardening for JSON requests; where rate-limit buckets live (rate-store-config.ts). */
  limits: limitsConfigSchema.extend(rateStoreConfigFields).prefault({}),
  /** HTTPS and gRPC over TLS (tls-config.ts; README "TLS"). Off unless set. */
  tls: tlsConfigSchema.optional(),
  /** Timeouts, connection caps and the buffered-body budget (connection-config.ts; README "Connections and timeouts"). */
  connections: connectionConfigSchema.prefault({}),
  /** Lone requests on the main thread for models that compute in tens of µs (inline-config.ts; README "Inline execution"). */
  inline_execution: serverInlineExecutionSchema.prefault({}),
});

export type ServerConfigFile = z.input<typeof serverConfigSchema>;

export interface ServerConfig {
  readonly host: string;
  readonly httpPort: number;
  /** -1: no metrics endpoint. */
  readonly metricsPort: number;
  /** -1: no gRPC endpoint. */
  readonly grpcPort: number;
  readonly modelRepository: string;
  /** Every repository served: modelRepository first, then model_repositories (folders or `s3://` URLs). */
  readonly modelRepositories: readonly string[];
  /** How `s3://` repositories are reached, pulled and cached. */
  readonly artifactStore: ArtifactStoreConfig;
  /** Where the rollout store and the SQLite prediction log go unless their paths are configured. */
  readonly stateDir: StateDir;
  readonly modelControlMode: 'none' | 'explicit' | 'poll';
  /** Explicit and poll modes: an empty repository may start (ready, serving nothing until a model loads). */
  readonly allowEmptyRepository: boolean;
  readonly loadModels: readonly string[];
  readonly repositoryPollSecs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly strictReadiness: boolean;
  readonly shutdownTimeoutMs: number;
  readonly costPerCpuSecond: number;
  /** Price of one core-hour (cost_per_core_hour, else cost_per_cpu_second × 3600). */
  readonly costPerCoreHour: number;
  readonly logRequests: 'none' | 'errors' | 'all';
  readonly logFormat: 'json' | 'pretty' | 'auto';
  readonly tracing: {
    readonly otlpEndpoint?: string | undefined;
    readonly sampleRatio: number;
    readonly slowMs: number;
    readonly serviceName: string;
    readonly resourceAttributes: Readonly<Record<string, string>>;
  };
  readonly shutdownDelayMs: number;
  /** Front-end processes serving the ports (`auto` resolved): 1 is one process. */
  readonly processes: number;
  /** Path of the features config, or undefined when there is none. */
  readonly featuresConfig: string | undefined;
  readonly redisUrl: string;
  readonly audit: AuditConfig;
  readonly quality: QualityConfig;
  /** The live dashboard: on or off, its path, how often it pushes. */
  readonly ui: UiConfig;
  /** Rollouts, their decisions, traffic policies and events: where they are kept (and shared, on PostgreSQL). */
  readonly state: StateConfig;
  readonly integrity: 'off' | 'checksum' | 'signed';
  /** Paths of trusted ed25519 public keys (PEM). */
  readonly trustedKeys: readonly string[];
  /** Lower-case header name. */
  readonly routingKeyHeader: string;
  readonly auth: AuthConfig;
  readonly insecure: boolean;
  readonly limits: InputLimits;
  /** Rate-limit buckets: in memory or shared in Redis. */
  readonly rateStore: RateStoreConfig;
  /** Undefined: plain HTTP and gRPC. */
  readonly tls?: TlsConfig | undefined;
  /** Slow and idle clients: timeouts, connection caps, the buffered-body budget; gRPC keepalive, idle and age. */
  readonly connections: ConnectionConfig;
  /** Inline execution's defaults: on, and the compute-time threshold of models that name none. */
  readonly inlineExecution: InlineExecutionDefaults;
}

const ENV_KEYS: Record<string, keyof ServerConfigFile> = {
  INFERD_HOST: 'host',
  INFERD_HTTP_PORT: 'http_port',
  INFERD_METRICS_PORT: 'metrics_port',
  INFERD_GRPC_PORT: 'grpc_port',
  INFERD_MODEL_REPOSITORY: 'model_repository',
  INFERD_STATE_DIR: 'state_dir',
  INFERD_MODEL_CONTROL_MODE: 'model_control_mode',
  INFERD_ALLOW_EMPTY_REPOSITORY: 'allow_empty_repository',
  INFERD_REPOSITORY_POLL_SECS: 'repository_poll_secs',
  INFERD_BODY_LIMIT_BYTES: 'body_limit_bytes',
  INFERD_LOG_LEVEL: 'log_level',
  INFERD_LOG_FORMAT: 'log_format',
  INFERD_STRICT_READINESS: 'strict_readiness',
  INFERD_SHUTDOWN_TIMEOUT_MS: 'shutdown_timeout_ms',
  INFERD_SHUTDOWN_DELAY_MS: 'shutdown_delay_ms',
  INFERD_PROCESSES: 'processes',
  INFERD_FEATURES_CONFIG: 'features_config',
  INFERD_REDIS_URL: 'redis_url',
  INFERD_INTEGRITY: 'integrity',
  INFERD_ROUTING_KEY_HEADER: 'routing_key_header',
};

/** Variables read into the `state:` block (a connection URL with a password is better kept out of files). */
const STATE_ENV_KEYS: Record<string, keyof NonNullable<ServerConfigFile['state']>> = {
  INFERD_STATE_STORE: 'store',
  INFERD_STATE_URL: 'url',
  INFERD_STATE_SCHEMA: 'schema',
  INFERD_STATE_PATH: 'path',
};

function coerce(value: string): string | number | boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/**
 * Reads `INFERD_*` variables from an environment (process.env by default), and OpenTelemetry's
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES into `tracing` (see tracingFromEnv).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ServerConfigFile> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = coerce(v);
  }
  const tracing = tracingFromEnv(env);
  if (tracing) out.tracing = tracing;
  const state: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(STATE_ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') state[key] = v;
  }
  if (Object.keys(state).length) out.state = state;
  return out as Partial<ServerConfigFile>;
}

/**
 * The OpenTelemetry SDK variables, as the specification reads them: OTEL_RESOURCE_ATTRIBUTES is
 * `key=value,key=value` (values percent-encoded); OTEL_SERVICE_NAME wins over a `service.name` given there.
 */
export function tracingFromEnv(
  env: NodeJS.ProcessEnv,
): { service_name?: string; resource_attributes?: Record<string, string> } | undefined {
  const attributes: Record<string, string> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      attributes[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // The specification says to discard the whole variable when one value cannot be decoded.
      return tracingFromEnv({ ...env, OTEL_RESOURCE_ATTRIBUTES: undefined });
    }
  }
  const serviceName = env.OTEL_SERVICE_NAME || attributes['service.name'] || undefined;
  delete attributes['service.name'];
  const hasAttributes = Object.keys(attributes).length > 0;
  if (!serviceName && !hasAttributes) return undefined;
  return {
    ...(serviceName ? { service_name: serviceName } : {}),
    ...(hasAttributes ? { resource_attributes: attributes } : {}),
  };
}

/** `tracing` sections merge setting by setting (the environment may name the service while the file sets the endpoint). */
function mergedTracing(layers: ReadonlyArray<Partial<ServerConfigFile> | undefined>): ServerConfigFile['tracing'] {
  const sections = layers.map((l) => l?.tracing).filter((t) => t !== undefined);
  if (sections.length === 0) return undefined;
  // Not an object: left for the schema to report as it is.
  if (sections.some((t) => typeof t !== 'object' || t === null || Array.isArray(t)))
    return sections[sections.length - 1];
  const attributes = sections.map((t) => t.resource_attributes).filter((a) => a !== undefined);
  const merged = Object.assign({}, ...sections.map((t) => definedOnly(t))) as NonNullable<ServerConfigFile['tracing']>;
  return attributes.length
    ? { ...merged, resource_attributes: Object.assign({}, ...attributes) as Record<string, string> }
    : merged;
}

/** `state` sections merge setting by setting (the environment may give the URL while the file sets the store). */
function mergedState(layers: ReadonlyArray<Partial<ServerConfigFile> | undefined>): ServerConfigFile['state'] {
  const sections = layers.map((l) => l?.state).filter((s) => s !== undefined);
  if (sections.length === 0) return undefined;
  if (sections.some((s) => typeof s !== 'object' || s === null || Array.isArray(s)))
    return sections[sections.length - 1];
  return Object.assign({}, ...sections.map((s) => definedOnly(s))) as NonNullable<ServerConfigFile['state']>;
}

/** Reads a YAML or JSON server config file. */
export function readConfigFile(path: string): Partial<ServerConfigFile> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return (parseYaml(text) ?? {}) as Partial<ServerConfigFile>;
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** `features.yaml` in the model repository when it exists (files there are not models). */
function defaultFeaturesConfig(modelRepository: string): string | undefined {
  const path = join(modelRepository, 'features.yaml');
  return existsSync(path) ? path : undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Without auth, inferd serves loopback only, unless the operator says `insecure` on purpose. */
function assertSafeBinding(host: string, authEnabled: boolean, insecure: boolean): void {
  if (authEnabled || insecure || isLoopback(host)) return;
  throw new ConfigError(
    `refusing to serve ${host} without authentication: anyone who can reach it could run and unload models. ` +
      `Turn auth on (auth.enabled: true with auth.api_keys_file or auth.jwt.issuers), bind 127.0.0.1, or pass --insecure (insecure: true) to accept the risk`,
  );
}

/** Validates layered config values (later layers win) into a frozen ServerConfig. */
export function resolveServerConfig(...layers: Array<Partial<ServerConfigFile> | undefined>): ServerConfig {
  const merged = Object.assign(
    {},
    ...layers.map((l) => definedOnly(l)),
    definedOnly({ tracing: mergedTracing(layers), state: mergedState(layers) }),
  );
  const parsed = serverConfigSchema.safeParse(merged, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`invalid server configuration:\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  if (c.integrity === 'signed' && c.trusted_keys.length === 0) {
    throw new ConfigError(
      `integrity 'signed' needs at least one trusted public key: set trusted_keys (flag --trusted-key FILE); 'inferd keygen' makes a key pair`,
    );
  }
  assertSafeBinding(c.host, c.auth.enabled, c.insecure);
  const stateDir = resolveStateDir(c.state_dir, c.model_repository);
  const repositories = [...new Set([c.model_repository, ...c.model_repositories])];
  for (const r of repositories) if (isStoreUrl(r)) parseStoreUrl(r); // a malformed URL stops the start here
  return Object.freeze({
    host: c.host,
    httpPort: c.http_port,
    metricsPort: c.metrics_port ?? (c.http_port === 0 ? 0 : 8002),
    grpcPort: c.grpc_port ?? (c.http_port === 0 ? 0 : 8001),
    modelRepository: c.model_repository,
    modelRepositories: Object.freeze(repositories),
    artifactStore: toArtifactStoreConfig(c.artifact_store, stateDir.path),
    stateDir,
    modelControlMode: c.model_control_mode,
    allowEmptyRepository: c.allow_empty_repository,
    loadModels: Object.freeze([...c.load_models]),
    repositoryPollSecs: c.repository_poll_secs,
    bodyLimitBytes: c.body_limit_bytes,
    logLevel: c.log_level,
    strictReadiness: c.strict_readiness,
    shutdownTimeoutMs: c.shutdown_timeout_ms,
    costPerCpuSecond: c.cost_per_cpu_second,
    costPerCoreHour: c.cost_per_core_hour ?? c.cost_per_cpu_second * 3600,
    logRequests: c.log_requests,
    logFormat: c.log_format,
    tracing: Object.freeze({
      otlpEndpoint: c.tracing.otlp_endpoint,
      sampleRatio: c.tracing.sample_ratio,
      slowMs: c.tracing.slow_ms,
      serviceName: c.tracing.service_name,
      resourceAttributes: Object.freeze({ ...c.tracing.resource_attributes }),
    }),
    shutdownDelayMs: c.shutdown_delay_ms,
    processes: resolveProcesses(c.processes),
    featuresConfig: c.features_config ?? defaultFeaturesConfig(c.model_repository),
    redisUrl: c.redis_url,
    audit: toAuditConfig(c.audit, stateDir),
    quality: toQualityConfig(c.quality),
    ui: toUiConfig(c.ui),
    state: toStateConfig(c.state, c.rollouts, stateDir.path, c.model_repository),
    integrity: c.integrity,
    trustedKeys: Object.freeze([...c.trusted_keys]),
    routingKeyHeader: c.routing_key_header.toLowerCase(),
    auth: toAuthConfig(c.auth),
    insecure: c.insecure,
    limits: toInputLimits(c.limits),
    rateStore: toRateStoreConfig(c.limits, c.redis_url),
    tls: toTlsConfig(c.tls),
    connections: toConnectionConfig(c.connections, c.body_limit_bytes),
    inlineExecution: toInlineExecutionDefaults(c.inline_execution),
  });
}

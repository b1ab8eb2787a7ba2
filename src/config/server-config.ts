/**
 * The server's configuration: one validated schema. Values come from, in rising precedence: defaults, a config
 * file (`--config FILE`, YAML or JSON), `INFERD_*` environment variables, then command-line flags.
 * This folder is the only reader of process.env.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { definedOnly } from '../lib/objects.js';

export const serverConfigSchema = z.strictObject({
  /** Address to bind. Loopback by default; any other address is an explicit choice. */
  host: z.string().min(1).default('127.0.0.1'),
  http_port: z.number().int().min(0).max(65535).default(8000),
  /** Prometheus /metrics port; -1 turns it off. Defaults to 8002, or to a free port when http_port is 0. */
  metrics_port: z.number().int().min(-1).max(65535).optional(),
  /** gRPC port; -1 turns it off. Defaults to 8001, or to a free port when http_port is 0. */
  grpc_port: z.number().int().min(-1).max(65535).optional(),
  model_repository: z.string().min(1).default('models'),
  /** Triton's model control: none (load all at start), explicit (load on request), poll (follow the repository). */
  model_control_mode: z.enum(['none', 'explicit', 'poll']).default('none'),
  /** Models to load at start in explicit mode ('*' for all). */
  load_models: z.array(z.string().min(1)).default([]),
  /** How often poll mode rescans the repository. */
  repository_poll_secs: z.number().positive().default(15),
  /** Largest request body accepted, in bytes; larger bodies get 413. */
  body_limit_bytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Ready only when every model is ready (Triton's --strict-readiness); false: ready once loading finished. */
  strict_readiness: z.boolean().default(true),
  /** On SIGTERM, how long in-flight requests may take before the process exits anyway. */
  shutdown_timeout_ms: z.number().int().min(0).default(30_000),
  /** On SIGTERM, how long to keep serving (readiness already false) before the listener closes. */
  shutdown_delay_ms: z.number().int().min(0).default(500),
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
  readonly modelControlMode: 'none' | 'explicit' | 'poll';
  readonly loadModels: readonly string[];
  readonly repositoryPollSecs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly strictReadiness: boolean;
  readonly shutdownTimeoutMs: number;
  readonly shutdownDelayMs: number;
}

const ENV_KEYS: Record<string, keyof ServerConfigFile> = {
  INFERD_HOST: 'host',
  INFERD_HTTP_PORT: 'http_port',
  INFERD_METRICS_PORT: 'metrics_port',
  INFERD_GRPC_PORT: 'grpc_port',
  INFERD_MODEL_REPOSITORY: 'model_repository',
  INFERD_MODEL_CONTROL_MODE: 'model_control_mode',
  INFERD_REPOSITORY_POLL_SECS: 'repository_poll_secs',
  INFERD_BODY_LIMIT_BYTES: 'body_limit_bytes',
  INFERD_LOG_LEVEL: 'log_level',
  INFERD_STRICT_READINESS: 'strict_readiness',
  INFERD_SHUTDOWN_TIMEOUT_MS: 'shutdown_timeout_ms',
  INFERD_SHUTDOWN_DELAY_MS: 'shutdown_delay_ms',
};

function coerce(value: string): string | number | boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** Reads `INFERD_*` variables from an environment (process.env by default). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ServerConfigFile> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') out[key] = coerce(v);
  }
  return out as Partial<ServerConfigFile>;
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

/** Validates layered config values (later layers win) into a frozen ServerConfig. */
export function resolveServerConfig(...layers: Array<Partial<ServerConfigFile> | undefined>): ServerConfig {
  const merged = Object.assign({}, ...layers.map((l) => definedOnly(l)));
  const parsed = serverConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid server configuration:\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  return Object.freeze({
    host: c.host,
    httpPort: c.http_port,
    metricsPort: c.metrics_port ?? (c.http_port === 0 ? 0 : 8002),
    grpcPort: c.grpc_port ?? (c.http_port === 0 ? 0 : 8001),
    modelRepository: c.model_repository,
    modelControlMode: c.model_control_mode,
    loadModels: Object.freeze([...c.load_models]),
    repositoryPollSecs: c.repository_poll_secs,
    bodyLimitBytes: c.body_limit_bytes,
    logLevel: c.log_level,
    strictReadiness: c.strict_readiness,
    shutdownTimeoutMs: c.shutdown_timeout_ms,
    shutdownDelayMs: c.shutdown_delay_ms,
  });
}

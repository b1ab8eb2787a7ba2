/**
 * The `connections:` section of the server config: how long a client may take to send its request, how many
 * connections may be open, how many bytes unfinished request bodies may hold, and the gRPC connection settings.
 * README "Connections and timeouts" describes it; SECURITY.md says what it promises.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

const ms = (min: number) => z.number().int().min(min);

export const grpcConnectionConfigSchema = z.strictObject({
  /** The server pings a connection after this long without traffic, to find dead peers. */
  keepalive_time_ms: ms(1000).default(120_000),
  /** A ping not answered within this closes the connection. */
  keepalive_timeout_ms: ms(100).default(20_000),
  /** A connection with no call for this long is closed (GOAWAY); 0: never. */
  max_connection_idle_ms: ms(0).default(300_000),
  /** A connection older than this is asked to reconnect (GOAWAY; spreads clients over replicas); 0: never. */
  max_connection_age_ms: ms(0).default(3_600_000),
  /** How long calls may still finish on a connection past its age before it is cut. */
  max_connection_age_grace_ms: ms(0).default(30_000),
  /** Most calls in progress at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  max_concurrent_streams: z.number().int().min(1).default(256),
});

export const connectionConfigSchema = z.strictObject({
  /** A client must have sent its whole request head (line and headers) within this. */
  headers_timeout_ms: ms(100).default(15_000),
  /** A client must have sent its whole request (head and body) within this; answered 408. */
  request_timeout_ms: ms(100).default(120_000),
  /** An idle keep-alive connection is closed after this. */
  keep_alive_timeout_ms: ms(100).default(65_000),
  /** A connection on which nothing arrives for this long while the server waits for the client is closed. */
  idle_timeout_ms: ms(100).default(30_000),
  /** Most open connections per HTTP port. Default: a quarter of the open-files limit (2 ports and gRPC share it). */
  max_connections: z.number().int().min(2).optional(),
  /** Most bytes held by request bodies not yet fully received, server-wide; over it: 503. Default: max(256 MiB, 4 x body_limit_bytes). */
  buffered_body_bytes: z.number().int().min(1024).optional(),
  grpc: grpcConnectionConfigSchema.prefault({}),
});

export interface GrpcConnectionConfig {
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** 0: never. */
  readonly maxConnectionIdleMs: number;
  /** 0: never. */
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly maxConcurrentStreams: number;
}

export interface ConnectionConfig {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly bufferedBodyBytes: number;
  readonly grpc: GrpcConnectionConfig;
}

/** The process's soft limit on open files (Linux /proc/self/limits); undefined where it cannot be read. */
export function openFilesLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/** Without a configured cap: a quarter of the open-files limit (at least 256, at most 16,384), 4,096 when unknown. */
export function defaultMaxConnections(filesLimit: number | undefined): number {
  if (filesLimit === undefined) return 4096;
  return Math.max(256, Math.min(16_384, Math.floor(filesLimit / 4)));
}

export const MIN_BUFFERED_BODY_BYTES = 256 * 1024 * 1024;

export function toConnectionConfig(
  c: z.infer<typeof connectionConfigSchema>,
  bodyLimitBytes: number,
): ConnectionConfig {
  if (c.headers_timeout_ms > c.request_timeout_ms) {
    throw new ConfigError(
      `connections.headers_timeout_ms (${c.headers_timeout_ms}) is longer than connections.request_timeout_ms (${c.request_timeout_ms}); the request head is part of the request: lower the first or raise the second`,
    );
  }
  const buffered = c.buffered_body_bytes ?? Math.max(MIN_BUFFERED_BODY_BYTES, 4 * bodyLimitBytes);
  if (buffered < bodyLimitBytes) {
    throw new ConfigError(
      `connections.buffered_body_bytes (${buffered}) is smaller than body_limit_bytes (${bodyLimitBytes}), so the largest body allowed could never be received; raise it to at least body_limit_bytes`,
    );
  }
  const g = c.grpc;
  return Object.freeze({
    headersTimeoutMs: c.headers_timeout_ms,
    requestTimeoutMs: c.request_timeout_ms,
    keepAliveTimeoutMs: c.keep_alive_timeout_ms,
    idleTimeoutMs: c.idle_timeout_ms,
    maxConnections: c.max_connections ?? defaultMaxConnections(openFilesLimit()),
    bufferedBodyBytes: buffered,
    grpc: Object.freeze({
      keepaliveTimeMs: g.keepalive_time_ms,
      keepaliveTimeoutMs: g.keepalive_timeout_ms,
      maxConnectionIdleMs: g.max_connection_idle_ms,
      maxConnectionAgeMs: g.max_connection_age_ms,
      maxConnectionAgeGraceMs: g.max_connection_age_grace_ms,
      maxConcurrentStreams: g.max_concurrent_streams,
    }),
  });
}

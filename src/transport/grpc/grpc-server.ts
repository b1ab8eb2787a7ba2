/**
 * The gRPC door: a @grpc/grpc-js server carrying `inference.GRPCInferenceService`. Like the HTTP door it only
 * parses, calls the data or control plane, and formats.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { createGrpcHandlers, earlyRefusalReporter, type GrpcServiceSettings } from './grpc-service.js';
import { authenticateBeforeReading, grpcAuthenticator } from './grpc-auth.js';
import { withDeferredDeserializers } from './deferred-message.js';
import { inferenceServiceDefinition } from './proto-loader.js';
import { connectionConfigSchema, type GrpcConnectionConfig } from '../../config/connection-config.js';
import type { Planes } from '../planes.js';
import { PARSE_ONCE } from '../../config/parse-once.js';

/** Where and how the gRPC door listens: address, message size, connections, TLS; and its handlers' settings. */
export interface GrpcSettings extends GrpcServiceSettings {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Largest request message accepted, in bytes (the server's body_limit_bytes); larger ones get RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes: number;
  /** Keepalive, idle and age of connections, calls per connection; absent: the server config's defaults. */
  readonly connections?: GrpcConnectionConfig;
  /** TLS (grpc-tls.ts); absent: insecure (plaintext). */
  readonly credentials?: ServerCredentials | undefined;
}

export interface RunningGrpcServer {
  /** The bound port. */
  readonly port: number;
  /** The target clients dial, e.g. 127.0.0.1:8001. */
  readonly address: string;
  /**
   * Stops accepting calls and lets those in flight finish; after `drainTimeoutMs` whatever is left is cut off.
   */
  shutdown(drainTimeoutMs: number): Promise<void>;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Graceful stop: tryShutdown (no new calls; in-flight calls finish), then forceShutdown once drained or timed out. */
function drain(server: Server, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  }).finally(() => server.forceShutdown());
}

function defaultGrpcConnections(): GrpcConnectionConfig {
  const g = connectionConfigSchema.parse({}, PARSE_ONCE).grpc;
  return {
    keepaliveTimeMs: g.keepalive_time_ms,
    keepaliveTimeoutMs: g.keepalive_timeout_ms,
    maxConnectionIdleMs: g.max_connection_idle_ms,
    maxConnectionAgeMs: g.max_connection_age_ms,
    maxConnectionAgeGraceMs: g.max_connection_age_grace_ms,
    maxConcurrentStreams: g.max_concurrent_streams,
  };
}

/** grpc-js channel options for the connection settings; 0 (never) leaves grpc-js's own (unlimited) in place. */
export function connectionOptions(c: GrpcConnectionConfig): Record<string, number> {
  return {
    'grpc.keepalive_time_ms': c.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': c.keepaliveTimeoutMs,
    ...(c.maxConnectionIdleMs > 0 ? { 'grpc.max_connection_idle_ms': c.maxConnectionIdleMs } : {}),
    ...(c.maxConnectionAgeMs > 0
      ? {
          'grpc.max_connection_age_ms': c.maxConnectionAgeMs,
          'grpc.max_connection_age_grace_ms': c.maxConnectionAgeGraceMs,
        }
      : {}),
    'grpc.max_concurrent_streams': c.maxConcurrentStreams,
  };
}

/** Starts the gRPC server on `host:port` (insecure credentials unless TLS ones are given) serving the planes. */
export async function startGrpcServer(planes: Planes, options: GrpcSettings): Promise<RunningGrpcServer> {
  // With auth on, credentials are checked from the metadata before a message is read (grpc-auth.ts).
  const authenticate = planes.gate && grpcAuthenticator(planes.gate);
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes,
    // Channelz keeps per-call and per-socket counters for a debugging service inferd does not expose; off, each
    // call costs less.
    'grpc.enable_channelz': 0,
    ...connectionOptions(options.connections ?? defaultGrpcConnections()),
    ...(authenticate
      ? { interceptors: [authenticateBeforeReading(authenticate, earlyRefusalReporter(planes.data))] }
      : {}),
  });
  // Messages reach the handlers as bytes: each is decoded only once its caller is authenticated (grpc-service.ts).
  server.addService(withDeferredDeserializers(inferenceServiceDefinition()), createGrpcHandlers(planes, options));
  let port: number;
  try {
    port = await bind(
      server,
      hostPort(options.host, options.port),
      options.credentials ?? ServerCredentials.createInsecure(),
    );
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    port,
    address: hostPort(options.host, port),
    shutdown: (drainTimeoutMs) => (stopping ??= drain(server, drainTimeoutMs)),
  };
}

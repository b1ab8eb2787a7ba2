/**
 * The gRPC side of the security gate: says what each RPC does and reads the credentials from the call's
 * metadata (`authorization: Bearer ...` or `x-api-key`). ServerLive and ServerReady stay open, like HTTP health.
 */
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { Action, Credentials } from '../../security/principal.js';
import type { SecurityGate } from '../../security/security-gate.js';

/**
 * Checks one call before its message is decoded and its handler runs; `model` is the model the message names
 * (read from its bytes). Throws the gate's errors (mapped by status.ts).
 */
export type GrpcAuthorize = (call: ServerUnaryCall<unknown, unknown>, method: string, model: string | undefined) => Promise<void>;

const OPEN = new Set(['ServerLive', 'ServerReady']);
const ADMIN = new Set(['RepositoryModelLoad', 'RepositoryModelUnload']);

/** What an RPC does, as httpAction says for routes. */
export function grpcAction(method: string): Action {
  if (OPEN.has(method)) return 'open';
  if (ADMIN.has(method)) return 'admin';
  return method === 'ModelInfer' ? 'infer' : 'read';
}

function first(metadata: Metadata, key: string): string | undefined {
  const v = metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

export function grpcCredentials(metadata: Metadata): Credentials {
  return { authorization: first(metadata, 'authorization'), apiKey: first(metadata, 'x-api-key') };
}

/** The `authorize` hook for createGrpcHandlers, backed by the gate. */
export function grpcAuthorizer(gate: SecurityGate): GrpcAuthorize {
  return async (call, method, model) => {
    await gate.check({ credentials: grpcCredentials(call.metadata), action: grpcAction(method), model });
  };
}

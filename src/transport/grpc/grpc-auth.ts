/**
 * The gRPC side of the security gate: says what each RPC does and reads the credentials from the call's
 * metadata (`authorization: Bearer ...` or `x-api-key`). ServerLive and ServerReady stay open, like HTTP health.
 */
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { Action, Credentials, Principal } from '../../security/principal.js';
import type { SecurityGate } from '../../security/security-gate.js';

/** Checks one call before its handler runs; throws the gate's errors (mapped by status.ts). */
export type GrpcAuthorize = (call: ServerUnaryCall<unknown, unknown>, method: string, request: unknown) => Promise<void>;

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

function modelOf(request: unknown): string | undefined {
  const r = request as { model_name?: unknown; name?: unknown } | undefined;
  const name = r?.model_name ?? r?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The principal each authenticated call was admitted as (auth on only). */
const principals = new WeakMap<object, Principal>();

/** The id of the principal the call authenticated as; undefined when auth is off (never the x-inferd-caller metadata). */
export function callPrincipal(call: object): string | undefined {
  return principals.get(call)?.id;
}

/** The `authorize` hook for createGrpcHandlers, backed by the gate. */
export function grpcAuthorizer(gate: SecurityGate): GrpcAuthorize {
  return async (call, method, request) => {
    const principal = await gate.check({ credentials: grpcCredentials(call.metadata), action: grpcAction(method), model: modelOf(request) });
    if (principal && gate.authenticates) principals.set(call, principal);
  };
}

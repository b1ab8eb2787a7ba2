/**
 * The gRPC side of the security gate: says what each RPC does and reads the credentials from the call's
 * metadata (`authorization: Bearer ...` or `x-api-key`). ServerLive and ServerReady stay open, like HTTP health.
 */
import {
  ServerInterceptingCall,
  status,
  type Metadata,
  type ServerInterceptor,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { toInferenceError } from '../../errors/index.js';
import type { Action, Credentials, Principal } from '../../security/principal.js';
import type { SecurityGate } from '../../security/security-gate.js';
import { toGrpcStatus } from './status.js';

/**
 * Checks one call before its message is decoded and its handler runs; `model` is the model the message names
 * (read from its bytes). Throws the gate's errors (mapped by status.ts).
 */
export type GrpcAuthorize = (
  call: ServerUnaryCall<unknown, unknown>,
  method: string,
  model: string | undefined,
) => Promise<void>;

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

/** The principal each authenticated call was admitted as (auth on only). */
const principals = new WeakMap<object, Principal>();

/** The id of the principal the call authenticated as; undefined when auth is off (never the x-inferd-caller metadata). */
export function callPrincipal(call: object): string | undefined {
  return principals.get(call)?.id;
}

/** The `authorize` hook for createGrpcHandlers, backed by the gate. */
export function grpcAuthorizer(gate: SecurityGate): GrpcAuthorize {
  return async (call, method, model) => {
    const principal = await gate.check({
      credentials: grpcCredentials(call.metadata),
      action: grpcAction(method),
      model,
    });
    if (principal && gate.authenticates) principals.set(call, principal);
  };
}

/** Checks a call's credentials from its metadata alone; throws UNAUTHENTICATED. */
export type GrpcAuthenticate = (metadata: Metadata) => Promise<void>;

/** The credentials check of the gate, or undefined when auth is off (no interceptor then: nothing to check). */
export function grpcAuthenticator(gate: SecurityGate): GrpcAuthenticate | undefined {
  if (!gate.authenticates) return undefined;
  return (metadata) => gate.checkCredentials(grpcCredentials(metadata));
}

/**
 * A grpc-js server interceptor that checks every call's credentials (but ServerLive and ServerReady's) from its
 * metadata before the message is read: grpc-js reads the message only once the metadata is passed on, so an
 * unauthenticated caller's message (up to body_limit_bytes) is neither received in full, copied nor decoded.
 * `refused` hears of each refusal (to count it). Scopes and rate limits, which need the model named in the
 * message, are checked by the handler before it decodes the message (grpc-service.ts).
 */
export function authenticateBeforeReading(
  authenticate: GrpcAuthenticate,
  refused?: (method: string, metadata: Metadata, err: unknown) => void,
): ServerInterceptor {
  return (descriptor, call) => {
    const method = descriptor.path.slice(descriptor.path.lastIndexOf('/') + 1);
    if (grpcAction(method) === 'open') return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            authenticate(metadata).then(
              () => pass(metadata),
              (err: unknown) => {
                refused?.(method, metadata, err);
                const answer = toGrpcStatus(toInferenceError(err));
                call.sendStatus({
                  code: answer.code ?? status.UNAUTHENTICATED,
                  details: answer.details ?? '',
                  metadata: answer.metadata,
                });
              },
            );
          },
        }),
    });
  };
}

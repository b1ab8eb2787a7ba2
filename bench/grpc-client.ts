/** A GRPCInferenceService client for the bench (load generator and the transport answer check). */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { rowsBytes } from './bodies.js';
import { grpcFrame } from './h2load.js';
import { REPO_ROOT } from './paths.js';

export const PROTO_DIR = join(REPO_ROOT, 'proto');

export interface InferReply {
  outputs: Array<{ name: string; datatype: string; shape: string[] }>;
  raw_output_contents: Buffer[];
}

type Unary = (
  req: unknown,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: InferReply) => void,
) => void;

export interface InferClient {
  readonly client: grpc.Client;
  infer(request: unknown, deadlineMs?: number): Promise<InferReply>;
}

/**
 * A GRPCInferenceService client loaded from the repository's proto (same loader options as the server).
 * grpc-js shares one connection among clients for the same target unless `ownConnection`.
 */
export function inferClient(target: string, ownConnection = false): InferClient {
  const def = loadSync('grpc_service.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const pkg = grpc.loadPackageDefinition(def).inference as grpc.GrpcObject;
  const Ctor = pkg.GRPCInferenceService as grpc.ServiceClientConstructor;
  const client = new Ctor(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    // Its own subchannel (TCP connection) instead of sharing one with every client for the same target.
    ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
  });
  const call = (client as unknown as { ModelInfer: Unary }).ModelInfer.bind(client);
  return {
    client,
    infer: (request, deadlineMs = 10_000) =>
      new Promise<InferReply>((resolve, reject) =>
        call(request, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res))),
      ),
  };
}

/** A ModelInfer request for one row, its data in raw_input_contents. */
export function grpcInferRequest(model: string, row: readonly number[]): unknown {
  return grpcInferRequestRows(model, [row]);
}

/** A ModelInfer request for a [rows, 64] FP32 tensor in raw_input_contents. */
export function grpcInferRequestRows(model: string, rows: readonly (readonly number[])[]): unknown {
  return {
    model_name: model,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64] }],
    raw_input_contents: [rowsBytes(rows)],
  };
}

/** The serialized ModelInfer request for `rows`, framed for the wire (for h2load). */
export function grpcInferFrame(model: string, rows: readonly (readonly number[])[]): Buffer {
  const def = loadSync('grpc_service.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const method = (
    def['inference.GRPCInferenceService'] as unknown as Record<string, { requestSerialize(value: unknown): Buffer }>
  ).ModelInfer;
  return grpcFrame(method.requestSerialize(grpcInferRequestRows(model, rows)));
}

/**
 * A plain @grpc/grpc-js client for inference.GRPCInferenceService built from the repository's proto/ files, with
 * promise-returning calls and raw-tensor helpers for the tests.
 */
import { join } from 'node:path';
import {
  Client,
  credentials,
  type ChannelInterface,
  loadPackageDefinition,
  Metadata,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_FILE } from '../../src/transport/grpc/proto-loader.js';
import { ROOT } from '../helpers/root.js';

const PROTO_DIR = join(ROOT, 'proto');

const definition = loadSync(PROTO_FILE, {
  includeDirs: [PROTO_DIR],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const ServiceClient = (loadPackageDefinition(definition).inference as GrpcObject)
  .GRPCInferenceService as ServiceClientConstructor;

type UnaryMethod = (
  request: object,
  metadata: Metadata,
  callback: (err: ServiceError | null, response: unknown) => void,
) => void;

/** A connected client; `call` resolves with the decoded response or rejects with the ServiceError. */
export interface InferenceClient {
  call<T = Record<string, unknown>>(method: string, request?: object): Promise<T>;
  /** Calls `method` with `bytes` as the message, as they are (not encoded): for malformed messages. */
  callRaw(method: string, bytes: Buffer): Promise<unknown>;
  /** The channel, to watch its connectivity. */
  readonly channel: ChannelInterface;
  close(): void;
}

/** Connects to `target` (host:port) with insecure credentials; `metadata` (e.g. credentials) goes with every call. */
export function connect(
  target: string,
  options: Record<string, number> = {},
  metadata?: Record<string, string>,
): InferenceClient {
  const client: Client = new ServiceClient(target, credentials.createInsecure(), options);
  return {
    call: <T>(method: string, request: object = {}) =>
      new Promise<T>((resolve, reject) => {
        // The generated client's methods are added at run time by name; this is their (untyped) shape.
        const fn = (client as unknown as Record<string, UnaryMethod>)[method];
        if (typeof fn !== 'function') throw new Error(`no RPC ${method}`);
        const md = new Metadata();
        for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
        fn.call(client, request, md, (err, response) => (err ? reject(err) : resolve(response as T)));
      }),
    callRaw: (method: string, bytes: Buffer) =>
      new Promise<unknown>((resolve, reject) => {
        const md = new Metadata();
        for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
        const pass = (b: Buffer) => b;
        client.makeUnaryRequest(`/inference.GRPCInferenceService/${method}`, pass, pass, bytes, md, (err, response) =>
          err ? reject(err) : resolve(response),
        );
      }),
    channel: client.getChannel(),
    close: () => client.close(),
  };
}

/** Little-endian bytes of a typed array (a copy). */
export function rawBytes(data: ArrayBufferView): Buffer {
  return Buffer.from(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** Copies raw output bytes into an aligned ArrayBuffer. */
function aligned(raw: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(raw.byteLength);
  new Uint8Array(out).set(raw);
  return out;
}

export const asFloat32 = (raw: Buffer): number[] => [...new Float32Array(aligned(raw))];
export const asInt64 = (raw: Buffer): bigint[] => [...new BigInt64Array(aligned(raw))];

/** Length-prefixed (4-byte little-endian) BYTES elements. */
export function rawStrings(values: readonly string[]): Buffer {
  return Buffer.concat(
    values.flatMap((v) => {
      const bytes = Buffer.from(v, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** A ServiceError's code and details, or a failure when the promise resolved. */
export async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

export interface OutputTensor {
  name: string;
  datatype: string;
  shape: string[];
}

export interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: OutputTensor[];
  raw_output_contents: Buffer[];
}

/** The raw bytes of the named output of a ModelInfer response. */
export function rawOutput(response: InferResponse, name: string): { tensor: OutputTensor; raw: Buffer } {
  const i = response.outputs.findIndex((o) => o.name === name);
  if (i < 0) throw new Error(`no output '${name}'; have ${response.outputs.map((o) => o.name).join(', ')}`);
  return { tensor: response.outputs[i], raw: response.raw_output_contents[i] };
}

/** Sends `bytes` as the request message of `method`, bypassing serialization (for malformed messages). */
export function callWithBytes(target: string, method: string, bytes: Buffer): Promise<Buffer> {
  const client = new Client(target, credentials.createInsecure());
  const identity = (b: Buffer) => b;
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(`/inference.GRPCInferenceService/${method}`, identity, identity, bytes, (err, response) => {
      client.close();
      if (err) reject(err);
      else resolve(response!);
    });
  });
}

/**
 * The `inference.GRPCInferenceService` definition the server registers, built from proto/grpc_service.proto (and
 * the model_config.proto it imports) in protobufjs's JSON form (`inference-proto-json.ts`, generated from the .proto
 * files and checked against them by a test). Messages are encoded and decoded as @grpc/proto-loader would with
 * PROTO_LOADER_OPTIONS; what is left out is the descriptors proto-loader generates for reflection, which cost tens
 * of milliseconds of a cold start and which the server does not use. The server does not read proto/: it ships with
 * the package for clients.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { Options } from '@grpc/proto-loader';
import protobuf from 'protobufjs/light.js';
import { INFERENCE_PROTO_JSON } from './inference-proto-json.js';

/** The service's file in proto/ (clients load it; the tests' own client does). */
export const PROTO_FILE = 'grpc_service.proto';
const SERVICE = 'inference.GRPCInferenceService';

/** How messages are decoded: proto field names, 64-bit integers as decimal strings, enums by name, defaults filled. */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** A method of the service, with the number of its request's model field (`model_name`, else `name`, a string). */
export type InferenceMethod = MethodDefinition<object, object> & { readonly modelField: number | undefined };

/** The request message's model field number, for reading it from the bytes before they are decoded. */
function modelField(type: protobuf.Type): number | undefined {
  const field = type.fields.model_name ?? type.fields.name;
  return field?.type === 'string' && !field.repeated ? field.id : undefined;
}

/** proto-loader's encoder: a plain object (not an array) through fromObject, then encoded. */
function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value))
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

/** proto-loader's decoder: decoded, then turned into a plain object by PROTO_LOADER_OPTIONS. */
function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), PROTO_LOADER_OPTIONS as protobuf.IConversionOptions);
}

function methodDefinition(method: protobuf.Method): InferenceMethod {
  const request = method.resolvedRequestType!;
  const response = method.resolvedResponseType!;
  return {
    path: `/${SERVICE}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: serializer(request),
    requestDeserialize: deserializer(request),
    responseSerialize: serializer(response),
    responseDeserialize: deserializer(response),
    originalName: method.name[0].toLowerCase() + method.name.slice(1),
    modelField: modelField(request),
  };
}

let cached: Readonly<Record<string, InferenceMethod>> | undefined;

/** The service definition to register handlers against (built once), keyed by method name. */
export function inferenceServiceDefinition(): Readonly<Record<string, InferenceMethod>> & ServiceDefinition {
  if (!cached) {
    // protobufjs's INamespace types an RPC's `comment` as required; its own toJSON leaves it out.
    const root = protobuf.Root.fromJSON(INFERENCE_PROTO_JSON as protobuf.INamespace);
    root.resolveAll();
    const service = root.lookupService(SERVICE);
    cached = Object.freeze(Object.fromEntries(service.methodsArray.map((m) => [m.name, methodDefinition(m)])));
  }
  return cached as Readonly<Record<string, InferenceMethod>> & ServiceDefinition;
}

/**
 * Loads proto/grpc_service.proto (and the model_config.proto it imports) at run time with @grpc/proto-loader.
 * The proto/ folder ships with the package beside dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadPackageDefinition,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

export const PROTO_FILE = 'grpc_service.proto';

/** How messages are decoded: proto field names, 64-bit integers as decimal strings, enums by name, defaults filled. */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * The repository's proto/ folder. Compiled code runs from dist/src/transport/grpc/ (the root is four levels
 * up); the TypeScript sources sit one level less deep.
 */
function findProtoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../../..', 'proto'), resolve(here, '../../..', 'proto')];
  const found = candidates.find((dir) => existsSync(join(dir, PROTO_FILE)));
  if (!found) throw new Error(`cannot find ${PROTO_FILE}; looked in ${candidates.join(' and ')}`);
  return found;
}

export const PROTO_DIR = findProtoDir();

let cached: PackageDefinition | undefined;

/** The parsed package definition of `inference` (loaded once). */
export function loadInferenceProto(): PackageDefinition {
  cached ??= loadSync(PROTO_FILE, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  return cached;
}

/** The `inference.GRPCInferenceService` client constructor; its `service` is the server-side definition. */
export function inferenceServiceClient(): ServiceClientConstructor {
  const pkg = loadPackageDefinition(loadInferenceProto()).inference as GrpcObject;
  return pkg.GRPCInferenceService as ServiceClientConstructor;
}

/** The service definition to register handlers against. */
export function inferenceServiceDefinition(): ServiceDefinition {
  return inferenceServiceClient().service;
}

/**
 * The messages of proto/grpc_service.proto as @grpc/proto-loader hands them over with the options in
 * proto-loader.ts (field names as in the proto, 64-bit integers as decimal strings, enums as names, absent
 * fields filled with defaults, a oneof's set member named by the oneof's own field). Only the fields the
 * handlers read are typed.
 */

/** One value of a `map<string, InferParameter>`; `parameter_choice` names the member that is set. */
export interface InferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: string;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: string;
}

export type InferParameterMap = Readonly<Record<string, InferParameter>>;

/** Typed tensor elements: one repeated field per family of datatypes. */
export interface InferTensorContents {
  readonly bool_contents: readonly boolean[];
  readonly int_contents: readonly number[];
  readonly int64_contents: readonly string[];
  readonly uint_contents: readonly number[];
  readonly uint64_contents: readonly string[];
  readonly fp32_contents: readonly number[];
  readonly fp64_contents: readonly number[];
  readonly bytes_contents: readonly Buffer[];
}

export interface InferInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly string[];
  readonly parameters: InferParameterMap;
  readonly contents: InferTensorContents | null;
}

export interface InferRequestedOutputTensor {
  readonly name: string;
  readonly parameters: InferParameterMap;
}

export interface ModelInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: InferParameterMap;
  readonly inputs: readonly InferInputTensor[];
  readonly outputs: readonly InferRequestedOutputTensor[];
  readonly raw_input_contents: readonly Buffer[];
}

/** A request naming a model and, optionally (empty string), a version. */
export interface ModelRequest {
  readonly name: string;
  readonly version: string;
}

export interface RepositoryIndexRequest {
  readonly repository_name: string;
  readonly ready: boolean;
}

export interface RepositoryModelRequest {
  readonly repository_name: string;
  readonly model_name: string;
}

/** What a response message may hold: the serializer accepts numbers or decimal strings for 64-bit fields. */
export type OutgoingMessage = Record<string, unknown>;

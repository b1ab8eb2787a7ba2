import type { Tensor } from '../tensor/index.js';

export type Parameters = Readonly<Record<string, unknown>>;

export interface RequestedOutput {
  readonly name: string;
  readonly parameters?: Parameters | undefined;
}

/** A protocol-neutral inference request; the HTTP and gRPC front ends and library callers all build these. */
export interface InferenceRequest {
  readonly model: string;
  /** Version as the caller named it (URL segment); absent: the highest ready version answers. */
  readonly version?: string | undefined;
  readonly id?: string | undefined;
  readonly inputs: readonly Tensor[];
  /** Outputs to return; absent: all of the model's outputs. */
  readonly outputs?: readonly RequestedOutput[] | undefined;
  /** Request parameters. Recognised: `priority` (1 = highest), `timeout` (microseconds in the queue). */
  readonly parameters?: Parameters | undefined;
  /** The door it came through, for metrics: http, grpc, v1; library when absent. */
  readonly protocol?: string;
  /** The caller's W3C `traceparent` header, continued by inferd's spans. */
  readonly traceparent?: string | undefined;
  /** The name the client claims (x-inferd-caller header or gRPC metadata): recorded apart, never trusted. */
  readonly caller?: string | undefined;
  /** The authenticated principal's id (auth on): the audit trail's caller and the feedback join's identity. */
  readonly principal?: string | undefined;
}

export interface InferenceResponse {
  readonly model: string;
  /** The version that answered. */
  readonly version: string;
  readonly id?: string | undefined;
  readonly outputs: readonly Tensor[];
  readonly parameters?: Parameters | undefined;
}

/**
 * The handlers of `inference.GRPCInferenceService`. Each one decodes its request, calls the data plane
 * (InferenceService) or, for the repository RPCs, the control plane (and nothing else), and encodes the answer;
 * errors become statuses through status.ts.
 */
import {
  Metadata,
  type handleUnaryCall,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { toInferenceError } from '../../errors/index.js';
import type { InferenceService } from '../../inference/inference-service.js';
import { assertLoadParameters } from '../../control/load-parameters.js';
import type { Logger } from '../../telemetry/logger.js';
import { SERVER_EXTENSIONS, SERVER_NAME, VERSION } from '../../version.js';
import { decodeModelInferRequest } from './infer-request.js';
import { encodeModelInferResponse } from './infer-response.js';
import type { ModelInferRequest, ModelRequest, OutgoingMessage, RepositoryIndexRequest } from './messages.js';
import { encodeModelConfigResponse, encodeModelMetadata, encodeRepositoryIndex } from './model-messages.js';
import { modelStatistics } from '../../protocol/model-statistics.js';
import { decodedRequest, requestModel } from './deferred-message.js';
import { isServerFault, toGrpcStatus } from './status.js';
import { callPrincipal, grpcAuthorizer, type GrpcAuthorize } from './grpc-auth.js';
import type { DecodeLimits } from '../../protocol/decode-limits.js';
import type { Planes } from '../planes.js';

/** What the handlers need besides the planes: logging, readiness policy, input limits. */
export interface GrpcServiceSettings {
  readonly logger: Logger;
  readonly strictReadiness: boolean;
  /** False while the server is shutting down. */
  readonly accepting: () => boolean;
  /** Input hardening for ModelInfer (number of inputs, BYTES length); absent: the server config's defaults. */
  readonly limits?: DecodeLimits;
}

/** What every handler wrapper needs. */
interface UnaryContext {
  readonly logger: Logger;
  readonly authorize?: GrpcAuthorize | undefined;
  /** Told of every failed call (ModelInfer: to count those refused before the core ran them). */
  readonly failed?: (err: unknown, call: ServerUnaryCall<unknown, unknown>) => void;
}

type Handler<Req> = (
  request: Req,
  call: ServerUnaryCall<Req, OutgoingMessage>,
) => OutgoingMessage | Promise<OutgoingMessage>;

interface RepositoryModelRequest {
  readonly model_name: string;
  readonly parameters?: Record<string, { string_param?: string; bytes_param?: Buffer }>;
}

/** Triton's load parameter `config`: the model config as JSON, replacing the model's config file. */
function configParameter(r: RepositoryModelRequest): string | undefined {
  assertLoadParameters(Object.keys(r.parameters ?? {}));
  const p = r.parameters?.config;
  if (!p) return undefined;
  return p.string_param ?? p.bytes_param?.toString('utf8');
}

/**
 * Wraps a request → response function as a unary handler; thrown errors answer with their mapped status. A
 * synchronous handler answers in the same turn: without credentials to check no promise is made on the way.
 */
function unary<Req>(
  method: string,
  { logger, authorize, failed }: UnaryContext,
  handle: Handler<Req>,
): handleUnaryCall<Req, OutgoingMessage> {
  return (call: ServerUnaryCall<Req, OutgoingMessage>, callback: sendUnaryData<OutgoingMessage>) => {
    const fail = (err: unknown): void => {
      failed?.(err, call as ServerUnaryCall<unknown, unknown>);
      const e = toInferenceError(err);
      if (isServerFault(e)) logger.error({ err: e.cause ?? e, method }, 'gRPC call failed');
      callback(toGrpcStatus(e));
    };
    const respond = (response: OutgoingMessage): void => callback(null, response);
    // The message arrives as bytes (deferred-message.ts) and is decoded only here, once the caller has passed.
    const run = (): OutgoingMessage | Promise<OutgoingMessage> =>
      handle(decodedRequest(method, call.request) as Req, call);
    try {
      // Credentials first: an unauthenticated caller learns nothing, not even whether its message parsed, and
      // costs no decoding. The gate reads the model from the message's top level only.
      const result = authorize
        ? authorize(call as ServerUnaryCall<unknown, unknown>, method, requestModel(call.request)).then(run)
        : run();
      if (result instanceof Promise) result.then(respond, fail);
      else respond(result);
    } catch (err) {
      fail(err);
    }
  };
}

/**
 * ModelInfer calls that failed before the core ran them (authentication, rate limit, a message that could not be
 * decoded) are reported to the core's observers, so they are counted and logged like any other request.
 */
function refusalReporter(service: InferenceService): NonNullable<UnaryContext['failed']> {
  return (err, call) => {
    if (service.observed(err)) return;
    const traceparent = call.metadata.get('traceparent')[0];
    service.observeRefusal({
      model: requestModel(call.request),
      protocol: 'grpc',
      error: toInferenceError(err),
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    });
  };
}

/** Reports a ModelInfer refused before its message was read (authenticateBeforeReading): counted, model unknown. */
export function earlyRefusalReporter(
  service: InferenceService,
): (method: string, metadata: Metadata, err: unknown) => void {
  return (method, metadata, err) => {
    if (method !== 'ModelInfer') return;
    const traceparent = metadata.get('traceparent')[0];
    service.observeRefusal({
      model: undefined,
      protocol: 'grpc',
      error: toInferenceError(err),
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    });
  };
}

/** The implementation of every RPC in proto/grpc_service.proto, keyed by method name. */
export function createGrpcHandlers(
  { data: service, control, gate }: Planes,
  { logger, strictReadiness, accepting, limits }: GrpcServiceSettings,
): UntypedServiceImplementation {
  // The gate's check runs before every handler (grpc-auth.ts); without a gate every call is admitted.
  const ctx: UnaryContext = { logger, authorize: gate ? grpcAuthorizer(gate) : undefined };
  const version = (v: string) => v || undefined;
  return {
    ServerLive: unary('ServerLive', ctx, () => ({ live: true })),
    ServerReady: unary('ServerReady', ctx, (_r, call) => {
      const report = accepting()
        ? service.readiness(strictReadiness)
        : { ready: false, reasons: [{ reason: 'shutting down' }] };
      // Not ready: the reasons ride in the response metadata as JSON, as the HTTP probe's body carries them.
      if (!report.ready) {
        const metadata = new Metadata();
        metadata.set('inferd-readiness-bin', Buffer.from(JSON.stringify(report.reasons)));
        call.sendMetadata(metadata);
      }
      return { ready: report.ready };
    }),
    ModelReady: unary<ModelRequest>('ModelReady', ctx, (r) => ({
      ready: service.isModelReady(r.name, version(r.version)),
    })),
    ServerMetadata: unary('ServerMetadata', ctx, () => ({
      name: SERVER_NAME,
      version: VERSION,
      extensions: [...SERVER_EXTENSIONS],
    })),
    ModelMetadata: unary<ModelRequest>('ModelMetadata', ctx, (r) =>
      encodeModelMetadata(service.metadata(r.name, version(r.version))),
    ),
    ModelConfig: unary<ModelRequest>('ModelConfig', ctx, (r) =>
      encodeModelConfigResponse(service.config(r.name, version(r.version))),
    ),
    ModelInfer: unary<ModelInferRequest>(
      'ModelInfer',
      { ...ctx, failed: refusalReporter(service) },
      async (r, call) => {
        const traceparent = call.metadata.get('traceparent')[0];
        const caller = call.metadata.get('x-inferd-caller')[0]; // a claim, recorded apart from the authenticated principal
        return encodeModelInferResponse(
          await service.infer({
            ...decodeModelInferRequest(r, limits),
            protocol: 'grpc',
            traceparent: typeof traceparent === 'string' ? traceparent : undefined,
            caller: typeof caller === 'string' ? caller : undefined,
            principal: callPrincipal(call),
          }),
        );
      },
    ),
    ModelStatistics: unary<ModelRequest>('ModelStatistics', ctx, (r) => ({
      model_stats: service
        .statistics(r.name || undefined, r.name ? version(r.version) : undefined)
        .map(modelStatistics),
    })),
    RepositoryIndex: unary<RepositoryIndexRequest>('RepositoryIndex', ctx, (r) =>
      encodeRepositoryIndex(control.index(), r.ready),
    ),
    RepositoryModelLoad: unary<RepositoryModelRequest>('RepositoryModelLoad', ctx, async (r) => {
      await control.load(r.model_name, configParameter(r));
      return {};
    }),
    RepositoryModelUnload: unary<RepositoryModelRequest>('RepositoryModelUnload', ctx, async (r) => {
      await control.unload(r.model_name);
      return {};
    }),
  };
}

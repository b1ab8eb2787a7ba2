/**
 * TF Serving / KServe V1 REST endpoints: `POST /v1/models/{model}[/versions/{version}]:predict` and the model
 * status `GET /v1/models/{model}[/versions/{version}]`. Errors are `{"error": "..."}` with the statuses of the
 * one table, as for V2.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceService } from '../../inference/inference-service.js';
import { encodePredictResponse } from '../../protocol/v1-json.js';
import { encodeModelStatus } from '../../protocol/v1-status.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../../protocol/v2-json.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../protocol/decode-limits.js';
import type { InferenceBodies } from './inference-body.js';
import { callerOf } from './audit-routes.js';
import { principalOf } from './auth-hook.js';
import { markFallback } from './overload-headers.js';

interface ModelParams {
  model: string;
  version?: string;
}

export interface V1RouteOptions {
  readonly service: InferenceService;
  /** Input hardening (JSON depth, inputs, BYTES length); defaults as the server config's. */
  readonly limits?: DecodeLimits & { readonly maxJsonDepth: number };
  /** Body limits from the models, and the decoder that keeps large bodies off the event loop. */
  readonly bodies: InferenceBodies;
}

function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(200).header('content-type', 'application/json').send(text);
}

/** Registers the V1 routes. In fastify paths `::` is a literal colon; the regex keeps it out of the parameter. */
export function registerV1Routes(app: FastifyInstance, { service, limits, bodies }: V1RouteOptions): void {
  const decodeLimits = limits ?? { ...DEFAULT_DECODE_LIMITS, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH };
  const status = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) =>
    sendJsonText(reply, encodeModelStatus(service.index(), req.params.model, req.params.version));
  app.get('/v1/models/:model', status);
  app.get('/v1/models/:model/versions/:version', status);

  const predict = async (
    req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>,
    reply: FastifyReply,
  ) => {
    const { model, version } = req.params;
    const signature = bodies.signatureFor(service.config(model, version));
    // The instance count is checked against max_batch_size before the body is parsed (declared-shape.ts).
    const body = bodies.body(req);
    const { request, format = 'row' } = await bodies.pool.decode({
      kind: 'v1',
      body,
      model,
      version,
      limits: decodeLimits,
      signature,
    });
    const response = await service.infer({
      ...request,
      protocol: 'v1',
      caller: callerOf(req),
      principal: principalOf(req),
    });
    // V1's body has no place for parameters: a fallback answer is flagged by the header alone.
    markFallback(reply, response);
    return sendJsonText(reply, encodePredictResponse(response, format));
  };
  // As for V2: overload is refused before the body is read, and a body larger than the model can take too.
  const admit = async (req: FastifyRequest<{ Params: ModelParams }>) =>
    service.admit(req.params.model, req.params.version);
  const route = { onRequest: admit, preParsing: bodies.limitHook };
  app.post('/v1/models/:model([^:/]+)::predict', route, predict);
  app.post('/v1/models/:model/versions/:version([^:/]+)::predict', route, predict);
}

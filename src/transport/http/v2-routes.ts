/**
 * Open Inference Protocol (V2) REST endpoints: health, server and model metadata, readiness, inference, config.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceService } from '../../inference/inference-service.js';
import { binaryOutputs, encodeInferResponse } from '../../protocol/v2-json.js';
import { HEADER_LENGTH, joinBinaryBody } from './binary-body.js';
import { DEFAULT_BODY_LIMITS, type V2BodyLimits } from './v2-body.js';
import type { InferenceBodies } from './inference-body.js';
import { encodeModelConfig } from '../../protocol/triton-config-json.js';
import { encodeStatistics } from '../../protocol/statistics-json.js';
import { SERVER_EXTENSIONS, SERVER_NAME, VERSION } from '../../version.js';
import { callerOf } from './audit-routes.js';
import { principalOf } from './auth-hook.js';
import { routingHeaderKey, withRoutingHeader } from './routing-header.js';
import { markFallback, priorityHeader, PRIORITY_HEADER, withPriorityHeader } from './overload-headers.js';

interface ModelParams {
  model: string;
  version?: string;
}

export interface V2RouteOptions {
  readonly service: InferenceService;
  readonly strictReadiness: boolean;
  /** False while the server is shutting down. */
  readonly accepting: () => boolean;
  /** Lower-case header whose value keeps a caller on one version (sticky routing); default x-routing-key. */
  readonly routingKeyHeader?: string;
  /** Input hardening (JSON depth, inputs, BYTES length); defaults as the server config's. */
  readonly limits?: V2BodyLimits;
  /** Body limits from the models, and the decoder that keeps large bodies off the event loop. */
  readonly bodies: InferenceBodies;
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}

export function registerV2Routes(
  app: FastifyInstance,
  { service, strictReadiness, accepting, routingKeyHeader = 'x-routing-key', limits, bodies }: V2RouteOptions,
): void {
  const bodyLimits = limits ?? DEFAULT_BODY_LIMITS;
  // Health answers by status, as the protocol specifies: 200 true (empty body), 400 false. Not ready, the body says
  // why: {"ready": false, "reasons": [{"model" | "dependency": ..., "reason": ...}]} (no secrets, no absolute paths).
  // Ready but degraded (a dependency served without, e.g. the shared state store), 200 carries
  // {"ready": true, "degraded": [{"dependency": ..., "reason": ...}]}.
  app.get('/v2/health/live', async (_req, reply) => reply.code(200).send());
  app.get('/v2/health/ready', async (_req, reply) => {
    const report = accepting()
      ? service.readiness(strictReadiness)
      : { ready: false, reasons: [{ reason: 'shutting down' }] };
    if (report.ready)
      return report.degraded
        ? sendJson(reply, 200, { ready: true, degraded: report.degraded })
        : reply.code(200).send();
    return sendJson(reply, 400, report);
  });

  app.get('/v2', async (_req, reply) =>
    sendJson(reply, 200, { name: SERVER_NAME, version: VERSION, extensions: SERVER_EXTENSIONS }),
  );

  const metadata = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) =>
    sendJson(reply, 200, service.metadata(req.params.model, req.params.version));
  app.get('/v2/models/:model', metadata);
  app.get('/v2/models/:model/versions/:version', metadata);

  const ready = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) =>
    reply.code(service.isModelReady(req.params.model, req.params.version) ? 200 : 400).send();
  app.get('/v2/models/:model/ready', ready);
  app.get('/v2/models/:model/versions/:version/ready', ready);

  const config = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) =>
    sendJson(reply, 200, encodeModelConfig(service.config(req.params.model, req.params.version)));
  app.get('/v2/models/:model/config', config);
  app.get('/v2/models/:model/versions/:version/config', config);

  const infer = async (req: FastifyRequest<{ Params: ModelParams; Body: Buffer | undefined }>, reply: FastifyReply) => {
    const body = bodies.body(req);
    const { model, version } = req.params;
    const context = { model, version, headerLength: req.headers[HEADER_LENGTH] };
    const decoding = performance.now();
    // Declared shapes are checked against the model before the data is decoded (declared-shape.ts).
    const { request: decoded } = await bodies.pool.decode({
      kind: 'v2',
      body,
      context,
      limits: bodyLimits,
      signature: bodies.signature(model, version),
    });
    const request = withPriorityHeader(
      withRoutingHeader(decoded, req.headers[routingKeyHeader]),
      req.headers[PRIORITY_HEADER],
    );
    const decodeS = (performance.now() - decoding) / 1000;
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const response = await service.infer({
      ...request,
      protocol: 'http',
      traceparent,
      caller: callerOf(req),
      principal: principalOf(req),
    });
    markFallback(reply, response);
    const encoding = performance.now();
    const binary = binaryOutputs(request, response);
    const json = encodeInferResponse(response, binary);
    const out = binary.size === 0 ? undefined : joinBinaryBody(json, response, binary);
    // The door's CPU weights of this request (cost/): decoding its body, encoding the answer.
    service.cost.door(model, response.version, 'http', {
      decode: decodeS,
      encode: (performance.now() - encoding) / 1000,
    });
    if (!out) return reply.code(200).header('content-type', 'application/json').send(json);
    return reply
      .code(200)
      .header('content-type', 'application/octet-stream')
      .header(HEADER_LENGTH, String(out.headerLength))
      .send(out.body);
  };
  // Overload is refused before the body is read or parsed, so refusals stay cheap when they matter most.
  // A callback hook: an async one would cost every request a promise for a check that never waits.
  const admit = (req: FastifyRequest<{ Params: ModelParams }>, _reply: FastifyReply, done: (err?: Error) => void) => {
    try {
      // The routing key picks the version that answers, so admission checks that version's queue.
      service.admit(
        req.params.model,
        req.params.version,
        priorityHeader(req.headers[PRIORITY_HEADER]),
        routingHeaderKey(req.headers[routingKeyHeader]),
      );
    } catch (err) {
      return done(err as Error);
    }
    done();
  };
  // A body larger than the model can take is refused from its Content-Length, before it is read.
  const route = { onRequest: admit, preParsing: bodies.limitHook };
  app.post('/v2/models/:model/infer', route, infer);
  app.post('/v2/models/:model/versions/:version/infer', route, infer);

  const stats = async (req: FastifyRequest<{ Params: Partial<ModelParams> }>, reply: FastifyReply) =>
    sendJson(reply, 200, encodeStatistics(service.statistics(req.params.model, req.params.version)));
  app.get('/v2/models/stats', stats);
  app.get('/v2/models/:model/stats', stats);
  app.get('/v2/models/:model/versions/:version/stats', stats);
}

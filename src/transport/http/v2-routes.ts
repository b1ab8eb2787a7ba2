/**
 * Open Inference Protocol (V2) REST endpoints: health, server and model metadata, readiness, inference, config.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceService } from '../../inference/inference-service.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { binaryOutputs, decodeInferRequest, DEFAULT_DECODE_LIMITS, DEFAULT_MAX_JSON_DEPTH, encodeInferResponse, parseJsonBody, type V2DecodeLimits } from '../../protocol/v2-json.js';
import { HEADER_LENGTH, joinBinaryBody, splitBinaryBody } from './binary-body.js';
import { encodeModelConfig } from '../../protocol/triton-config-json.js';
import { encodeStatistics } from '../../protocol/statistics-json.js';
import { SERVER_EXTENSIONS, SERVER_NAME, VERSION } from '../../version.js';
import { callerOf } from './audit-routes.js';
import { withRoutingHeader } from './routing-header.js';

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
  readonly limits?: V2DecodeLimits & { readonly maxJsonDepth: number };
}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}

export function registerV2Routes(app: FastifyInstance, { service, strictReadiness, accepting, routingKeyHeader = 'x-routing-key', limits }: V2RouteOptions): void {
  const decodeLimits = limits ?? DEFAULT_DECODE_LIMITS;
  const maxDepth = limits?.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  // Health answers by status alone, as the protocol specifies: 200 true, 400 false.
  app.get('/v2/health/live', async (_req, reply) => reply.code(200).send());
  app.get('/v2/health/ready', async (_req, reply) => reply.code(accepting() && service.isServerReady(strictReadiness) ? 200 : 400).send());

  app.get('/v2', async (_req, reply) => sendJson(reply, 200, { name: SERVER_NAME, version: VERSION, extensions: SERVER_EXTENSIONS }));

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
    const body = req.body ?? Buffer.alloc(0);
    const headerLength = req.headers[HEADER_LENGTH];
    let request;
    if (typeof headerLength === 'string') {
      const { json, reader, unread } = splitBinaryBody(body, headerLength);
      request = decodeInferRequest(parseJsonBody(json, maxDepth), req.params.model, req.params.version, reader, decodeLimits);
      if (unread() > 0) throw new InvalidArgumentError(`${unread()} bytes of binary data follow the JSON header but no input claims them (binary_data_size)`);
    } else {
      request = decodeInferRequest(parseJsonBody(body.toString('utf8'), maxDepth), req.params.model, req.params.version, undefined, decodeLimits);
    }
    request = withRoutingHeader(request, req.headers[routingKeyHeader]);
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const response = await service.infer({ ...request, protocol: 'http', traceparent, caller: callerOf(req) });
    const binary = binaryOutputs(request, response);
    const json = encodeInferResponse(response, binary);
    if (binary.size === 0) return reply.code(200).header('content-type', 'application/json').send(json);
    const out = joinBinaryBody(json, response, binary);
    return reply.code(200).header('content-type', 'application/octet-stream').header(HEADER_LENGTH, String(out.headerLength)).send(out.body);
  };
  // Overload is refused before the body is read or parsed, so refusals stay cheap when they matter most.
  const admit = async (req: FastifyRequest<{ Params: ModelParams }>) => service.admit(req.params.model, req.params.version);
  app.post('/v2/models/:model/infer', { onRequest: admit }, infer);
  app.post('/v2/models/:model/versions/:version/infer', { onRequest: admit }, infer);

  const stats = async (req: FastifyRequest<{ Params: Partial<ModelParams> }>, reply: FastifyReply) =>
    sendJson(reply, 200, encodeStatistics(service.statistics(req.params.model, req.params.version)));
  app.get('/v2/models/stats', stats);
  app.get('/v2/models/:model/stats', stats);
  app.get('/v2/models/:model/versions/:version/stats', stats);
}

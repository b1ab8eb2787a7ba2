/**
 * Triton's model repository extension over HTTP: index, load (optionally with a config override), unload.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentError } from '../../errors/index.js';
import type { ControlPlane } from '../../control/control-plane.js';
import { assertLoadParameters } from '../../control/load-parameters.js';
import { parseJsonBody } from '../../protocol/v2-json.js';
import { versionLabel } from '../../config/version-label.js';

interface Params {
  model: string;
}

function optionalBody(body: Buffer | undefined): Record<string, unknown> {
  if (!body || body.length === 0) return {};
  const value = parseJsonBody(body.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidArgumentError('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** Triton's load body: `{"parameters": {"config": "<ModelConfig as JSON>"}}`. */
function configOverride(body: Record<string, unknown>): string | undefined {
  const params = body.parameters as Record<string, unknown> | undefined;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
    throw new InvalidArgumentError(`parameters must be an object, e.g. {"config": "<model config as JSON>"}`);
  assertLoadParameters(Object.keys(params ?? {}));
  const config = params?.config;
  if (config === undefined) return undefined;
  if (typeof config === 'string') return config;
  if (typeof config === 'object' && config !== null) return JSON.stringify(config);
  throw new InvalidArgumentError(`parameters.config must be Triton's model config as a JSON string or object`);
}

export function registerRepositoryRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.post('/v2/repository/index', async (req: FastifyRequest<{ Body: Buffer | undefined }>, reply: FastifyReply) => {
    const onlyReady = optionalBody(req.body).ready === true;
    const entries = control.index({ readyOnly: onlyReady });
    const body = entries.map((e) => ({
      name: e.name,
      ...(e.version === undefined ? {} : { version: versionLabel(e.version) }),
      state: e.state,
      ...(e.reason ? { reason: e.reason } : {}),
    }));
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
  });

  app.post(
    '/v2/repository/models/:model/load',
    async (req: FastifyRequest<{ Params: Params; Body: Buffer | undefined }>, reply: FastifyReply) => {
      await control.load(req.params.model, configOverride(optionalBody(req.body)));
      return reply.code(200).header('content-type', 'application/json').send('{}');
    },
  );

  app.post(
    '/v2/repository/models/:model/unload',
    async (req: FastifyRequest<{ Params: Params; Body: Buffer | undefined }>, reply: FastifyReply) => {
      optionalBody(req.body);
      await control.unload(req.params.model);
      return reply.code(200).header('content-type', 'application/json').send('{}');
    },
  );
}

/**
 * The prediction log over HTTP: `GET /v1/predictions?model=&since=&request_id=&limit=` answers
 * `{"predictions": [...]}`, newest first (404 when the audit trail is off). Also where the caller of a request is
 * read: the `x-inferd-caller` header, until authentication names callers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAuditQuery } from '../../audit/audit-query.js';
import type { InferenceService } from '../../inference/inference-service.js';

export const CALLER_HEADER = 'x-inferd-caller';

/** The caller a request names in x-inferd-caller, or undefined (the audit trail then records 'anonymous'). */
export function callerOf(req: FastifyRequest): string | undefined {
  const value = req.headers[CALLER_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function registerAuditRoutes(app: FastifyInstance, { service }: { readonly service: InferenceService }): void {
  app.get('/v1/predictions', async (req: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply: FastifyReply) => {
    const predictions = await service.predictions(parseAuditQuery(req.query));
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ predictions }));
  });
}

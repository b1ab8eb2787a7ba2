/**
 * The prediction log over HTTP: `GET /v1/predictions?model=&since=&request_id=&limit=` answers
 * `{"predictions": [...]}`, newest first (404 when the audit trail is off). Also where the name a client claims is
 * read: the `x-inferd-caller` header. With auth on the recorded caller is the authenticated principal
 * (auth-hook.ts `principalOf`) and the claim is kept apart as `claimed_caller`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ControlPlane } from '../../control/control-plane.js';
import { parsePredictionQuery } from './prediction-query.js';

export const CALLER_HEADER = 'x-inferd-caller';

/** The name a request claims in x-inferd-caller (never trusted as identity), or undefined. */
export function callerOf(req: FastifyRequest): string | undefined {
  const value = req.headers[CALLER_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function registerAuditRoutes(app: FastifyInstance, control: ControlPlane): void {
  app.get(
    '/v1/predictions',
    async (req: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply: FastifyReply) => {
      const predictions = await control.predictions(parsePredictionQuery(req.query));
      return reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ predictions }));
    },
  );
}
